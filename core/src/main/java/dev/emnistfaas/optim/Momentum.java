package dev.emnistfaas.optim;

import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;

/** SGD with momentum: v ← μ·v + g; w ← w − lr·v (three BLAS level-1 calls, nothing allocated). */
public final class Momentum implements Optimizer {
  private final float learningRate;
  private final float momentum;
  private final ParameterVector velocity;

  public Momentum(double learningRate, double momentum, Network shape) {
    this.learningRate = (float) learningRate;
    this.momentum = (float) momentum;
    this.velocity = ParameterVector.zeros(shape);
  }

  @Override
  public void apply(ParameterVector params, ParameterVector grad) {
    velocity.scale(momentum);
    velocity.addScaled(1f, grad);
    params.addScaled(-learningRate, velocity);
  }
}
