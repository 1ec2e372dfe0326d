package dev.emnistfaas.bench;

import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.NetworkShape;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.optim.Optimizer;
import dev.emnistfaas.optim.OptimizerSetting;
import java.util.SplittableRandom;

/** Times one training step (load batch, forward, backward, update) as numpy_step.py times its own. */
public final class StepTiming {
  private StepTiming() {}

  /**
   * Best-of-four mean seconds per step over {@code steps} steps. {@code loadEachStep}: convert a new batch from
   * bytes every step, as training does; otherwise convert one batch up front and reuse it, which is the work
   * numpy_step.py times (it reuses one float batch).
   */
  public static double secondsPerStep(int batch, int hidden, int classes, float dropout, int steps,
      OptimizerSetting setting, boolean loadEachStep) {
    NetworkShape shape = new NetworkShape(LabeledImages.PIXELS, hidden, classes);
    int n = 4096;
    byte[] px = new byte[n * LabeledImages.PIXELS];
    byte[] lb = new byte[n];
    SplittableRandom r = new SplittableRandom(0);
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) r.nextInt(256);
    }
    int[] codes = new int[classes];
    for (int i = 0; i < n; i++) {
      lb[i] = (byte) (i % classes);
    }
    for (int c = 0; c < classes; c++) {
      codes[c] = 'A' + c;
    }
    LabeledImages images = new LabeledImages(px, lb, LabelMapping.of(codes));
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    ParameterVector params = ParameterVector.initial(shape, 1);
    ParameterVector grad = ParameterVector.zeros(shape);
    Optimizer optimizer = Optimizer.create(setting, shape.size());
    BatchPass pass = new BatchPass(shape, batch);
    SplitMix64 random = new SplitMix64(3);
    pass.load(images, order, 0);
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < 4; rep++) {
      long t0 = System.nanoTime();
      for (int s = 0; s < steps; s++) {
        if (loadEachStep) {
          pass.load(images, order, (s * batch) % (n - batch));
        }
        pass.train(params, grad, dropout, random);
        optimizer.apply(params, grad);
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9 / steps);
    }
    return best;
  }

  public static void main(String[] args) {
    OptimizerSetting sgd = new OptimizerSetting(OptimizerSetting.Kind.SGD, 0.1, 0);
    for (int b : new int[] {32, 128}) {
      for (float dropout : new float[] {0f, 0.2f}) {
        double s = secondsPerStep(b, 100, 47, dropout, 3000, sgd, true);
        System.out.printf("java step B=%d H=100 dropout=%.1f us_per_step=%.1f samples_per_s=%.0f%n",
            b, dropout, s * 1e6, b / s);
      }
    }
  }
}
