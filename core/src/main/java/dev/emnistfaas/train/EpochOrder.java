package dev.emnistfaas.train;

import dev.emnistfaas.data.SeededPermutation;

/**
 * The order in which a run visits its training images in a given epoch: a permutation that depends only on
 * (seed, epoch), so a run resumed mid-epoch recomputes the same order and continues at its cursor.
 */
public final class EpochOrder {
  private EpochOrder() {}

  public static int[] of(int size, long seed, int epoch) {
    return SeededPermutation.of(size, seed * 0x9E3779B97F4A7C15L + epoch);
  }
}
