package dev.emnistfaas.ps;

import java.util.Arrays;

/**
 * One pusher's gradient not yet sent (Strom 2015's residual, the error feedback that makes sparse pushes converge)
 * and the choice of what a push sends: the entries whose accrued magnitude reaches a threshold set so that about
 * {@code density} of them do. The threshold is the matching quantile of a sample of the residual (a full sort of
 * 83,000 floats costs about 5 ms a push, a 4,096-float sample about 0.1 ms); the sample's start moves every push so
 * that no entry is never looked at.
 */
final class SparseResidual {
  private static final int SAMPLE = 4096;

  private final float[] residual;
  /**
   * Per entry, the sum of the squares of the pushes' gradients held back in its residual: what dense Adagrad
   * would have added to the entry's accumulator. (Adding the square of the residual instead, a sum of many pushes,
   * made the sums much larger than dense Adagrad's for entries whose gradient kept its sign, and the steps
   * smaller.)
   */
  private final float[] squares;
  private final double density;
  private final float[] sample;
  private long pushes;

  SparseResidual(int size, double density) {
    this.residual = new float[size];
    this.squares = new float[size];
    this.density = density;
    this.sample = new float[Math.min(SAMPLE, size)];
  }

  /** Adds a push's gradient to what is held back. */
  void add(float[] gradient) {
    for (int i = 0; i < residual.length; i++) {
      float g = gradient[i];
      residual[i] += g;
      squares[i] += g * g;
    }
  }

  /** The magnitude from which an entry is sent in this push (never 0: zeros are never sent). */
  float threshold() {
    int at = (int) Math.floor((1 - density) * sample.length);
    if (at == 0) {
      return Float.MIN_NORMAL; // every entry: the smallest in a sample need not be the smallest of all
    }
    int stride = residual.length / sample.length;
    int start = (int) (pushes++ % stride);
    for (int k = 0; k < sample.length; k++) {
      sample[k] = Math.abs(residual[start + k * stride]);
    }
    Arrays.sort(sample);
    return Math.max(sample[at], Float.MIN_NORMAL);
  }

  /**
   * Writes into {@code chosen} the indices in {@code [from, to)} whose magnitude reaches {@code threshold}, in
   * ascending order, at most {@code chosen.length} of them (the rest wait for a later push); returns how many.
   */
  int choose(int from, int to, float threshold, int[] chosen) {
    int k = 0;
    for (int i = from; i < to && k < chosen.length; i++) {
      if (Math.abs(residual[i]) >= threshold) {
        chosen[k++] = i;
      }
    }
    return k;
  }

  float get(int i) {
    return residual[i];
  }

  /** The sum of the squared gradients of the pushes whose part of entry {@code i} has not been sent. */
  float squares(int i) {
    return squares[i];
  }

  /** Records that {@code applied} of entry {@code i} reached the store, and its squares with it. */
  void sent(int i, float applied) {
    residual[i] -= applied;
    squares[i] = 0;
  }
}
