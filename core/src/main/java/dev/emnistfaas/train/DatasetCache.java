package dev.emnistfaas.train;

import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Data sets and shards a pod keeps across calls: loading 116k images takes about a second, a slice a few.
 * One process (a function pod, or the local runtime with all its pods) loads each source once. Shards are kept
 * for one worker count per source, the latest asked for: a pod that serves jobs with another M drops the old
 * copies instead of keeping every split it ever made.
 */
public final class DatasetCache {
  private static final Map<EmnistDataset.Source, EmnistDataset> DATASETS = new ConcurrentHashMap<>();
  private static final Map<EmnistDataset.Source, Shards> SHARDS = new HashMap<>();

  /** The shards of one source for one worker count. */
  private record Shards(int workers, Map<Integer, LabeledImages> byWorker) {}

  private DatasetCache() {}

  public static EmnistDataset dataset(EmnistDataset.Source source) {
    return DATASETS.computeIfAbsent(source, EmnistDataset::load);
  }

  public static synchronized LabeledImages shard(EmnistDataset.Source source, int worker, int workers) {
    Shards shards = SHARDS.get(source);
    if (shards == null || shards.workers() != workers) {
      shards = new Shards(workers, new HashMap<>());
      SHARDS.put(source, shards);
    }
    return shards.byWorker().computeIfAbsent(worker, w -> dataset(source).train().shard(w, workers));
  }

  /** Whether {@code source} is loaded. */
  static boolean isLoaded(EmnistDataset.Source source) {
    return DATASETS.containsKey(source);
  }

  /** How many shard copies are kept for {@code source}. */
  static synchronized int shardsKept(EmnistDataset.Source source) {
    Shards shards = SHARDS.get(source);
    return shards == null ? 0 : shards.byWorker().size();
  }
}
