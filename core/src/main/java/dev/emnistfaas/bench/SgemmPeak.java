package dev.emnistfaas.bench;

import dev.emnistfaas.nn.Matrix;

/**
 * The machine's own single-sgemm speed, the yardstick of a training step's efficiency: FLOP/s of OpenBLAS's sgemm
 * (the BLAS the passes use) on square float matrices large enough to reach its best, on the BLAS threads set.
 */
public final class SgemmPeak {
  private SgemmPeak() {}

  /** Best of {@code rounds} products of two n×n matrices, in FLOP/s (2n³ per product). */
  public static double flopsPerSecond(int n, int rounds) {
    Matrix a = Matrix.zeros(n, n);
    Matrix b = Matrix.zeros(n, n);
    Matrix c = Matrix.zeros(n, n);
    a.array().assign(0.5f);
    b.array().assign(0.25f);
    c.setProduct(a, false, b, false, 0f);
    double best = Double.MAX_VALUE;
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      c.setProduct(a, false, b, false, 0f);
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return 2.0 * n * n * n / best;
  }
}
