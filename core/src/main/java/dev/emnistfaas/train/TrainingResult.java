package dev.emnistfaas.train;

import java.util.List;

/**
 * The outcome of a training run.
 *
 * @param reached whether the evaluation accuracy reached the target
 * @param secondsToTarget training seconds until the target was first reached (NaN if never)
 * @param epochsToTarget epochs begun when it was reached, counting the partial one (0 if never)
 * @param steps training steps taken
 * @param seconds training seconds in all (data loading excluded)
 * @param finalAccuracy evaluation accuracy at the end
 * @param best highest evaluation accuracy seen
 * @param history every evaluation, in order
 */
public record TrainingResult(
    boolean reached,
    double secondsToTarget,
    int epochsToTarget,
    long steps,
    double seconds,
    double finalAccuracy,
    double best,
    List<Checkpoint> history) {

  /** One evaluation during training. */
  public record Checkpoint(int epoch, long step, double seconds, double accuracy, double loss, double trainLoss) {}
}
