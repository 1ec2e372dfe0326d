package dev.emnistfaas.optim;

import dev.emnistfaas.nn.ParameterVector;

/** Plain SGD: w ← w − lr·g, one BLAS axpy. */
public final class Sgd implements Optimizer {
  private final float learningRate;

  public Sgd(double learningRate) {
    this.learningRate = (float) learningRate;
  }

  @Override
  public void apply(ParameterVector params, ParameterVector grad) {
    params.addScaled(-learningRate, grad);
  }
}
