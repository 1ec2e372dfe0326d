package dev.emnistfaas.nn;

import org.nd4j.linalg.factory.Nd4j;

/** The native BLAS behind ND4J. */
public final class Blas {
  private Blas() {}

  /**
   * Sets how many threads BLAS may use. The default of one suits workers that share a machine: at batch 32 it
   * is also the fastest (measured 155 µs a step, against 167 µs with two threads); at batch 128 two threads
   * help (463 against 518 µs) when the cores are otherwise idle.
   */
  public static void useThreads(int threads) {
    Nd4j.factory().blas().setMaxThreads(threads);
  }
}
