package dev.emnistfaas.optim;

import dev.emnistfaas.nn.ParameterVector;

/**
 * Adagrad as Dean et al. (2012) use it in Downpour SGD: each parameter's rate is γ/√(Σg²), the sum over every
 * gradient it has seen. The accumulators live on the heap; parameters move in bulk copies.
 */
public final class Adagrad implements Optimizer {
  /** Keeps the first steps finite where a parameter has seen only zero gradients. */
  public static final float EPSILON = 1e-8f;

  private final float learningRate;
  private final float[] accumulators;
  private final float[] values;
  private final float[] gradient;

  public Adagrad(double learningRate, int size) {
    this.learningRate = (float) learningRate;
    this.accumulators = new float[size];
    this.values = new float[size];
    this.gradient = new float[size];
  }

  @Override
  public void apply(ParameterVector params, ParameterVector grad) {
    params.get(0, values, 0, values.length);
    grad.get(0, gradient, 0, gradient.length);
    step(learningRate, values, 0, gradient, 0, values.length, accumulators);
    params.put(0, values, 0, values.length);
  }

  /**
   * One Adagrad step on arrays, {@code values[valuesFrom..valuesFrom+n)} by
   * {@code gradient[gradientFrom..gradientFrom+n)} with {@code accumulators[0..n)}: the rule the parameter store
   * also applies, shard by shard.
   */
  public static void step(float learningRate, float[] values, int valuesFrom, float[] gradient, int gradientFrom,
      int n, float[] accumulators) {
    for (int i = 0; i < n; i++) {
      float g = gradient[gradientFrom + i];
      float acc = accumulators[i] + g * g;
      accumulators[i] = acc;
      values[valuesFrom + i] -= learningRate * g / ((float) Math.sqrt(acc) + EPSILON);
    }
  }
}
