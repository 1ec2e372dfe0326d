package dev.emnistfaas.train;

import java.lang.management.ManagementFactory;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;

/**
 * What a fresh emnist-train pod does before its first slice: load the data set, ND4J's native code, and run
 * the training step and the evaluation until the JIT has compiled them. Measured on the real components: a
 * pod's first slice trained at 780-2,800 samples/s against 17,600-21,200 for its second, because three cold JVMs
 * sharing two cores interpreted the step (and its vector kernels, which are very slow until C2 compiles them)
 * for the whole slice; one cold JVM alone needs about 2,000 steps to reach full speed. Nothing is stored: the
 * steps train a throw-away copy of the initial parameters.
 */
public final class PodWarmUp {
  /** Training steps: enough for C2 to compile the step on this machine, measured from a cold JVM. */
  static final int STEPS = 1000;
  /** Evaluations of the held-out part: the evaluation's loops compiled too. */
  static final int EVALUATIONS = 2;

  /**
   * How long the warm-up took, the training speed it ended at, and when its first training step ended, in seconds
   * since the JVM started (a pod's cold start, but for the JVM's own launch).
   */
  public record Summary(double loadSeconds, double jitSeconds, double samplesPerSecond, double firstStepUptime) {}

  private PodWarmUp() {}

  public static Summary run(TrainingConfig defaults) {
    return run(defaults, () -> { });
  }

  /** As {@link #run(TrainingConfig)}, calling {@code afterFirstStep} once the first training step has run. */
  public static Summary run(TrainingConfig defaults, Runnable afterFirstStep) {
    long t0 = System.nanoTime();
    Blas.useThreads(defaults.threads());
    EmnistDataset data = DatasetCache.dataset(defaults.dataSource());
    LabeledImages images = data.train();
    Network shape = defaults.networkFor(images.classes());
    ParameterVector params = ParameterVector.initial(shape, defaults.seed());
    ParameterVector grad = ParameterVector.zeros(shape);
    long loaded = System.nanoTime();
    int batch = Math.min(defaults.batch(), images.size());
    BatchPass pass = shape.newPass(batch, true);
    SplitMix64 random = new SplitMix64(defaults.seed());
    EpochCursor cursor = new EpochCursor(images.size(), defaults.seed(), 1, 0);
    long lastChunk = 0;
    long chunkStart = System.nanoTime();
    double firstStepUptime = 0;
    for (int step = 1; step <= STEPS; step++) {
      if (cursor.nextRows(batch) < batch) {
        cursor.advance(cursor.nextRows(batch)); // skip an epoch's short tail
      }
      pass.load(images, cursor.order(), cursor.position());
      pass.train(params, grad, (float) defaults.dropout(), random);
      params.addScaled((float) -defaults.learningRate(), grad);
      cursor.advance(batch);
      if (step == 1) {
        firstStepUptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
        afterFirstStep.run();
      }
      if (step % 100 == 0) {
        long now = System.nanoTime();
        lastChunk = now - chunkStart;
        chunkStart = now;
      }
    }
    Evaluator evaluator = new Evaluator(shape, data.eval());
    for (int e = 0; e < EVALUATIONS; e++) {
      evaluator.evaluate(params);
    }
    return new Summary((loaded - t0) / 1e9, (System.nanoTime() - loaded) / 1e9, 100.0 * batch / (lastChunk / 1e9),
        firstStepUptime);
  }
}
