package dev.emnistfaas.nn;

import org.nd4j.linalg.factory.Nd4j;

/** The native BLAS behind ND4J. */
public final class Blas {
  private Blas() {}

  /**
   * Sets how many threads BLAS may use. One is fastest at this network's shapes (measured: at batch 32 a
   * second thread costs more in hand-off than it saves) and leaves the other cores to other workers.
   */
  public static void useThreads(int threads) {
    Nd4j.factory().blas().setMaxThreads(threads);
  }
}
