package dev.emnistfaas.train;

import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Data sets and shards a pod keeps across calls: loading 116k images takes about a second, a slice a few.
 * One process (a function pod, or the local runtime with all its pods) loads each source once.
 */
public final class DatasetCache {
  private static final Map<EmnistDataset.Source, EmnistDataset> DATASETS = new ConcurrentHashMap<>();
  private static final Map<String, LabeledImages> SHARDS = new ConcurrentHashMap<>();

  private DatasetCache() {}

  public static EmnistDataset dataset(EmnistDataset.Source source) {
    return DATASETS.computeIfAbsent(source, EmnistDataset::load);
  }

  public static LabeledImages shard(EmnistDataset.Source source, int worker, int workers) {
    return SHARDS.computeIfAbsent(source + "#" + worker + "/" + workers,
        k -> dataset(source).train().shard(worker, workers));
  }
}
