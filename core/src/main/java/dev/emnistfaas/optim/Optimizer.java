package dev.emnistfaas.optim;

import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;

/** Updates parameters in place from a gradient of the loss (the descent direction is its negative). */
public interface Optimizer {
  void apply(ParameterVector params, ParameterVector grad);

  /** The optimiser a setting describes, with fresh state for the parameters of a network of {@code shape}. */
  static Optimizer create(OptimizerSetting setting, Network shape) {
    return switch (setting.kind()) {
      case SGD -> new Sgd(setting.learningRate());
      case MOMENTUM -> new Momentum(setting.learningRate(), setting.momentum(), shape);
      case ADAGRAD -> new Adagrad(setting.learningRate(), shape.size());
    };
  }
}
