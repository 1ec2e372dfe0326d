package dev.emnistfaas.bench;

import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.data.SeededPermutation;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.MlpPass;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.MlpNetwork;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.optim.Optimizer;
import dev.emnistfaas.optim.OptimizerSetting;
import java.util.SplittableRandom;

/** Times one training step (load batch, forward, backward, update) as numpy_step.py times its own. */
public final class StepTiming {
  private StepTiming() {}

  /** Where the timed steps get their batches. */
  public enum Input {
    /** A new batch every step, converted from bytes, in a shuffled order over all the images: as training runs. */
    SHUFFLED,
    /** The first batch of that order, converted once and reused every step: the work numpy_step.py times. */
    RESIDENT
  }

  /**
   * The measured time of a step, how many inputs the two large products used in its last batch, and the heap
   * bytes the timing thread allocated per step in the last round (0 once the JIT has compiled the loop).
   */
  public record Result(double secondsPerStep, int inputsUsed, double bytesPerStep) {}

  /** Best-of-four mean over {@code steps} steps of a 784-{@code hidden} MLP on {@code images}. */
  public static Result time(LabeledImages images, int batch, int hidden, float dropout, int steps,
      OptimizerSetting setting, Input input) {
    return time(images, new MlpNetwork(LabeledImages.PIXELS, hidden, images.classes()), batch, dropout, steps,
        setting, input);
  }

  /** Best-of-four mean over {@code steps} steps of {@code shape} on {@code images}. */
  public static Result time(LabeledImages images, Network shape, int batch, float dropout, int steps,
      OptimizerSetting setting, Input input) {
    if (images.size() < batch) {
      throw new IllegalArgumentException(images.size() + " images do not fill a batch of " + batch);
    }
    int[] order = SeededPermutation.of(images.size(), 0);
    ParameterVector params = ParameterVector.initial(shape, 1);
    ParameterVector grad = ParameterVector.zeros(shape);
    Optimizer optimizer = Optimizer.create(setting, shape);
    BatchPass pass = shape.newPass(batch, true);
    SplitMix64 random = new SplitMix64(3);
    pass.load(images, order, 0);
    int batches = images.size() / batch;
    int next = 0;
    double best = Double.MAX_VALUE;
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    double bytesPerStep = 0;
    for (int rep = 0; rep < 4; rep++) {
      long allocated = threads.getThreadAllocatedBytes(thread);
      long t0 = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        if (input == Input.SHUFFLED) {
          pass.load(images, order, next * batch);
          next = (next + 1) % batches;
        }
        pass.train(params, grad, dropout, random);
        optimizer.apply(params, grad);
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9 / steps);
      bytesPerStep = (double) (threads.getThreadAllocatedBytes(thread) - allocated) / steps;
    }
    return new Result(best, pass instanceof MlpPass mlp ? mlp.inputsUsed() : LabeledImages.PIXELS, bytesPerStep);
  }

  /**
   * Images like numpy_step.py's input: every pixel uniformly random, so none is blank and every step uses all
   * 784 inputs.
   */
  public static LabeledImages denseRandomImages(int n, int classes) {
    byte[] px = new byte[n * LabeledImages.PIXELS];
    byte[] labels = new byte[n];
    SplittableRandom r = new SplittableRandom(0);
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) r.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % classes);
    }
    int[] codes = new int[classes];
    for (int c = 0; c < classes; c++) {
      codes[c] = 'A' + c;
    }
    return new LabeledImages(px, labels, LabelMapping.of(codes));
  }
}
