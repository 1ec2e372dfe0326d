package dev.emnistfaas.nn;

/** The output layer's softmax cross-entropy over a batch of logits, shared by the batch passes. */
final class SoftmaxLoss {
  private SoftmaxLoss() {}

  /**
   * Adds the bias to each row of logits, turns the rows into probabilities in place, records each row's arg-max in
   * {@code predicted} and its loss in {@code rowLoss}; returns the summed loss. The exponentials run in vector lanes
   * over the whole batch at once (rows of 47 would leave 15 of every 47 values to a scalar tail); the row loops
   * around them are plain Java: with vector code in them too, the JIT ran out of its node budget while inlining
   * and compiled the exponentials' store as a heap allocation (measured: 9 KB a step at batch 32).
   */
  static double forward(float[] z, float[] bias, int rows, int n, int[] labels, int[] predicted, double[] rowLoss) {
    for (int k = 0; k < rows; k++) {
      int base = k * n;
      int arg = 0;
      for (int c = 0; c < n; c++) {
        z[base + c] += bias[c];
        arg = z[base + c] > z[base + arg] ? c : arg;
      }
      predicted[k] = arg;
      float max = z[base + arg];
      for (int c = 0; c < n; c++) {
        z[base + c] -= max;
      }
    }
    VectorKernels.exp(z, rows * n);
    double loss = 0;
    for (int k = 0; k < rows; k++) {
      int base = k * n;
      float sum = 0;
      for (int c = 0; c < n; c++) {
        sum += z[base + c];
      }
      float scale = 1f / sum;
      for (int c = 0; c < n; c++) {
        z[base + c] *= scale;
      }
      rowLoss[k] = -Math.log(Math.max(z[base + labels[k]], 1e-30f));
      loss += rowLoss[k];
    }
    return loss;
  }

  /** How many of the first {@code n} rows' predictions match their labels. */
  static int correct(int[] predicted, int[] labels, int n) {
    int correct = 0;
    for (int k = 0; k < n; k++) {
      correct += predicted[k] == labels[k] ? 1 : 0;
    }
    return correct;
  }

  /** The summed loss of the first {@code n} rows. */
  static double summedLoss(double[] rowLoss, int n) {
    double loss = 0;
    for (int k = 0; k < n; k++) {
      loss += rowLoss[k];
    }
    return loss;
  }

  /** The gradient of the mean loss with respect to the logits: (probabilities − one-hot) / rows, into {@code out}. */
  static void gradient(float[] probabilities, int[] labels, int rows, int n, float[] out) {
    float invRows = 1f / rows;
    VectorKernels.scaleInto(probabilities, invRows, out, rows * n);
    for (int k = 0; k < rows; k++) {
      out[k * n + labels[k]] -= invRows;
    }
  }

  /**
   * Inverted dropout's mask over {@code mask[0..n)}: each unit is kept with probability 1 − rate and then scaled
   * by 1/(1 − rate). Four 16-bit draws per random long and a branch-free comparison: the mask costs a fifth of one
   * draw per unit.
   */
  static void fillDropoutMask(float[] mask, int n, float rate, SplitMix64 random) {
    float keep = 1f / (1f - rate);
    int threshold = Math.round(rate * 65536f);
    for (int i = 0; i < n; i += 4) {
      long bits = random.nextLong();
      for (int q = 0; q < 4 && i + q < n; q++) {
        int draw = (int) (bits >>> (16 * q)) & 0xffff;
        // (draw - threshold) >>> 31 is 1 exactly when draw < threshold: that unit is dropped.
        mask[i + q] = keep * (1 - ((draw - threshold) >>> 31));
      }
    }
  }
}
