package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabeledImages;

/**
 * What every batch pass with a softmax output shares: the batch's labels, each row's prediction and loss, and the
 * training step and evaluation built on a network's own forward and backward passes.
 */
abstract class SoftmaxPass implements BatchPass {
  protected final int rows;
  protected final int[] labels;
  protected final int[] predicted;
  protected final double[] rowLoss;
  private final boolean training;
  private double lastLoss;

  SoftmaxPass(int rows, boolean training) {
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be ≥ 1, got " + rows);
    }
    this.rows = rows;
    this.training = training;
    labels = new int[rows];
    predicted = new int[rows];
    rowLoss = new double[rows];
  }

  /**
   * Forward pass over the loaded batch, with dropout at rate {@code dropout} drawn from {@code random} when it is
   * above 0: fills {@link #predicted} and {@link #rowLoss}, and returns the summed loss.
   */
  abstract double forward(ParameterVector params, float dropout, SplitMix64 random);

  /** Backward pass after {@link #forward}: writes the gradient of the mean loss into {@code grad}. */
  abstract void backward(ParameterVector params, ParameterVector grad);

  /** Copies the labels of images {@code indices[from .. from+rows)}: the loading half every pass shares. */
  final void loadLabels(LabeledImages images, int[] indices, int from) {
    for (int k = 0; k < rows; k++) {
      labels[k] = images.label(indices[from + k]);
    }
  }

  @Override
  public final int rows() {
    return rows;
  }

  @Override
  public final double train(ParameterVector params, ParameterVector grad, float dropout, SplitMix64 random) {
    if (!training) {
      throw new IllegalStateException("this pass was built for evaluation only");
    }
    double loss = forward(params, dropout, random);
    backward(params, grad);
    return loss / rows;
  }

  @Override
  public final int evaluate(ParameterVector params, int n) {
    forward(params, 0f, null);
    lastLoss = SoftmaxLoss.summedLoss(rowLoss, n);
    return SoftmaxLoss.correct(predicted, labels, n);
  }

  @Override
  public final double lastLoss() {
    return lastLoss;
  }

  @Override
  public final int predicted(int k) {
    return predicted[k];
  }
}
