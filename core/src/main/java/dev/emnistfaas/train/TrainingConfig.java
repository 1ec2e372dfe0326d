package dev.emnistfaas.train;

import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.EmnistSplit;
import dev.emnistfaas.optim.OptimizerSetting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every knob of a training run in one immutable value. The defaults reach 75 % on EMNIST bymerge within the
 * first epoch (SGD with momentum, the tuned reference's constants).
 *
 * @param dataDir directory with the EMNIST files
 * @param split EMNIST split, or "" to use the only one present
 * @param evalFraction share held out for evaluation when only one official file set is present
 * @param splitSeed seed of that hold-out permutation
 * @param hidden hidden units
 * @param batch minibatch size
 * @param dropout dropout rate on the hidden layer
 * @param optimizer sgd, momentum or adagrad
 * @param learningRate learning rate (γ for Adagrad)
 * @param momentum momentum coefficient (momentum optimiser only)
 * @param seed seed of the initial weights, the epoch order and dropout
 * @param maxEpochs stop after this many passes over the training part
 * @param targetAccuracy stop once evaluation accuracy reaches this (0 disables)
 * @param evalEverySteps also evaluate every this many steps (0: only at epoch ends)
 * @param threads BLAS threads
 */
public record TrainingConfig(
    String dataDir,
    String split,
    double evalFraction,
    long splitSeed,
    int hidden,
    int batch,
    double dropout,
    String optimizer,
    double learningRate,
    double momentum,
    long seed,
    int maxEpochs,
    double targetAccuracy,
    int evalEverySteps,
    int threads) {

  public static TrainingConfig defaults(String dataDir) {
    return new TrainingConfig(dataDir, "", EmnistDataset.Source.DEFAULT_EVAL_FRACTION,
        EmnistDataset.Source.DEFAULT_SPLIT_SEED, 100, 32, 0.2, "momentum", 0.03, 0.9, 1, 30, 0.75, 1000, 1);
  }

  /** Every problem with the values, each naming its field; empty when the config is usable. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (dataDir == null || dataDir.isBlank()) {
      p.add("dataDir: must name a directory with EMNIST files");
    }
    if (split == null) {
      p.add("split: must be \"\" or one of " + EmnistSplit.ids());
    } else if (!split.isEmpty() && !EmnistSplit.ids().contains(split)) {
      p.add("split: '" + split + "' is not one of " + EmnistSplit.ids());
    }
    check(p, evalFraction > 0 && evalFraction < 1, "evalFraction", "in (0, 1)", evalFraction);
    check(p, hidden >= 1 && hidden <= 4096, "hidden", "in 1..4096", hidden);
    check(p, batch >= 1 && batch <= 4096, "batch", "in 1..4096", batch);
    check(p, dropout >= 0 && dropout < 1, "dropout", "in [0, 1)", dropout);
    try {
      OptimizerSetting.Kind.parse(optimizer == null ? "" : optimizer);
    } catch (IllegalArgumentException e) {
      p.add("optimizer: " + e.getMessage());
    }
    check(p, learningRate > 0 && learningRate <= 10, "learningRate", "in (0, 10]", learningRate);
    check(p, momentum >= 0 && momentum < 1, "momentum", "in [0, 1)", momentum);
    check(p, maxEpochs >= 1 && maxEpochs <= 100_000, "maxEpochs", "in 1..100000", maxEpochs);
    check(p, targetAccuracy >= 0 && targetAccuracy <= 1, "targetAccuracy", "in [0, 1]", targetAccuracy);
    check(p, evalEverySteps >= 0, "evalEverySteps", "≥ 0", evalEverySteps);
    check(p, threads >= 1 && threads <= 256, "threads", "in 1..256", threads);
    return p;
  }

  private static void check(List<String> problems, boolean ok, String field, String range, Object value) {
    if (!ok) {
      problems.add(field + ": must be " + range + ", got " + value);
    }
  }

  /** Throws with every problem listed when the config is not usable. */
  public TrainingConfig validated() {
    List<String> p = problems();
    if (!p.isEmpty()) {
      throw new IllegalArgumentException("invalid training config: " + String.join("; ", p));
    }
    return this;
  }

  public EmnistDataset.Source dataSource() {
    Optional<EmnistSplit> s = split.isEmpty() ? Optional.empty() : Optional.of(EmnistSplit.parse(split));
    return new EmnistDataset.Source(Path.of(dataDir), s, evalFraction, splitSeed);
  }

  public OptimizerSetting optimizerSetting() {
    return new OptimizerSetting(OptimizerSetting.Kind.parse(optimizer), learningRate, momentum);
  }
}
