package dev.emnistfaas.faas;

import dev.emnistfaas.nn.Classifier;
import dev.emnistfaas.nn.ModelFile;
import dev.emnistfaas.train.DownpourJobs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The models an emnist-predict pod answers with, each loaded once: a job's best evaluated parameters from Redis
 * (loaded again when the job's best accuracy changes: one small read per call) and the models baked into the
 * image ({@code model-NAME.bin} beside the data, put there by {@code ./emnist data bake --model NAME=FILE}; read on
 * first use).
 */
final class LoadedModels {
  /** A model ready to answer, with where it came from and the accuracy it scored (NaN: not known). */
  record Loaded(Classifier classifier, String source, double accuracy) {}

  private static final String PREFIX = "model-";
  private static final String SUFFIX = ".bin";
  /** How many jobs' models a pod keeps; the least recently loaded goes first. */
  private static final int MAX_JOBS = 8;

  /** The jobs in Redis, connected on first use (baked models need no Redis). */
  private final java.util.function.Supplier<DownpourJobs> jobs;
  /** The function's data folder, which holds the baked models. */
  private final Path bakedDir;
  private final Map<String, Loaded> byJob = new HashMap<>();
  private final List<String> jobOrder = new ArrayList<>();
  private final Map<String, Loaded> baked = new HashMap<>();

  LoadedModels(java.util.function.Supplier<DownpourJobs> jobs, Path bakedDir) {
    this.jobs = jobs;
    this.bakedDir = bakedDir;
  }

  /** Job {@code job}'s best model; 404 for an unknown job, 409 before its first evaluation. */
  synchronized Loaded forJob(String job) {
    Loaded cached = byJob.get(job);
    Optional<Double> best = jobs.get().bestAccuracy(job);
    if (cached != null && best.isPresent() && best.get() == cached.accuracy()) {
      return cached;
    }
    DownpourJobs.EvaluatedModel model = jobs.get().bestModel(job).orElseThrow(() -> new PredictRequest.Refused(409,
        "job " + job + " has no evaluated model yet; its first evaluation comes within a second or two of training"));
    Loaded loaded = new Loaded(new Classifier(model.model()), "job " + job, model.accuracy());
    byJob.put(job, loaded);
    jobOrder.remove(job);
    jobOrder.add(job);
    if (jobOrder.size() > MAX_JOBS) {
      byJob.remove(jobOrder.remove(0));
    }
    return loaded;
  }

  /** Baked model {@code name} ({@code model-NAME.bin}); 404 naming the ones there are. */
  synchronized Loaded baked(String name) {
    Loaded cached = baked.get(name);
    if (cached != null) {
      return cached;
    }
    List<String> names = bakedNames();
    if (!names.contains(name)) {
      throw new PredictRequest.Refused(404, "no model " + name + " in this image; " + (names.isEmpty()
          ? "it has none (./emnist data bake --model NAME=FILE puts one in)" : "it has " + String.join(", ", names)));
    }
    Path file = bakedDir.resolve(PREFIX + name + SUFFIX);
    try {
      Loaded loaded = new Loaded(new Classifier(ModelFile.read(file)), "model " + name, Double.NaN);
      baked.put(name, loaded);
      return loaded;
    } catch (IOException e) {
      throw new IllegalStateException("baked model " + file + " could not be read: " + e.getMessage(), e);
    }
  }

  /** The names of the baked models, sorted. */
  List<String> bakedNames() {
    if (!Files.isDirectory(bakedDir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(bakedDir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(PREFIX) && n.endsWith(SUFFIX))
          .map(n -> n.substring(PREFIX.length(), n.length() - SUFFIX.length())).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the baked models in " + bakedDir + ": " + e.getMessage(), e);
    }
  }
}
