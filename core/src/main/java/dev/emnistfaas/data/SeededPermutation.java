package dev.emnistfaas.data;

import java.util.SplittableRandom;

/** Deterministic permutations: the same seed gives the same order on every JVM and machine. */
public final class SeededPermutation {
  private SeededPermutation() {}

  /** A Fisher-Yates shuffle of 0..n-1 driven by {@link SplittableRandom}, whose sequence is specified. */
  public static int[] of(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffle(p, new SplittableRandom(seed));
    return p;
  }

  public static void shuffle(int[] values, SplittableRandom random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }
}
