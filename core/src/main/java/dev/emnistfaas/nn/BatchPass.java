package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabeledImages;

/**
 * Forward and backward passes of one network over batches of a fixed number of rows, every buffer allocated
 * once: what training, evaluation and the step benchmark drive, whatever the network.
 */
public interface BatchPass {
  int rows();

  /** Loads images {@code indices[from .. from+rows)} as the next batch. */
  void load(LabeledImages images, int[] indices, int from);

  /**
   * One training pass over the loaded batch: writes the gradient of the mean cross-entropy loss into
   * {@code grad} (overwriting it) and returns that loss. Dropout with rate {@code dropout} (inverted, so
   * evaluation needs no rescaling) draws from {@code random}.
   */
  double train(ParameterVector params, ParameterVector grad, float dropout, SplitMix64 random);

  /**
   * Forward pass without dropout over the first {@code n} loaded rows: stores predictions and returns the number
   * that match the labels; {@link #lastLoss} gives their summed loss.
   */
  int evaluate(ParameterVector params, int n);

  /** The summed cross-entropy loss of the rows the last {@link #evaluate} counted. */
  double lastLoss();

  /** The predicted class of loaded row {@code k} after the last pass. */
  int predicted(int k);
}
