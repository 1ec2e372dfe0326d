package dev.emnistfaas.optim;

import dev.emnistfaas.nn.ParameterVector;
import org.nd4j.linalg.factory.Nd4j;

/** Plain SGD: w ← w − lr·g, one BLAS axpy. */
public final class Sgd implements Optimizer {
  private final double learningRate;

  public Sgd(double learningRate) {
    this.learningRate = learningRate;
  }

  @Override
  public void apply(ParameterVector params, ParameterVector grad) {
    Nd4j.getBlasWrapper().level1().axpy(params.size(), -learningRate, grad.flat(), params.flat());
  }
}
