package dev.emnistfaas.optim;

import dev.emnistfaas.nn.ParameterVector;
import org.nd4j.linalg.api.blas.Level1;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** SGD with momentum: v ← μ·v + g; w ← w − lr·v (three BLAS level-1 calls, nothing allocated). */
public final class Momentum implements Optimizer {
  private final double learningRate;
  private final double momentum;
  private final INDArray velocity;

  public Momentum(double learningRate, double momentum, int size) {
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.velocity = Nd4j.zeros(DataType.FLOAT, size);
  }

  @Override
  public void apply(ParameterVector params, ParameterVector grad) {
    Level1 blas = Nd4j.getBlasWrapper().level1();
    long n = params.size();
    blas.scal(n, momentum, velocity);
    blas.axpy(n, 1.0, grad.flat(), velocity);
    blas.axpy(n, -learningRate, velocity, params.flat());
  }
}
