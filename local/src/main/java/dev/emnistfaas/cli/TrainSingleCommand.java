package dev.emnistfaas.cli;

import dev.emnistfaas.train.SingleProcessTrainer;
import dev.emnistfaas.train.TrainingConfig;
import dev.emnistfaas.train.TrainingResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code emnist train-single}: the single-process trainer. */
@Command(name = "train-single", mixinStandardHelpOptions = true,
    description = "Train in this process (no Redis, no workers) and report the time to the target accuracy.")
final class TrainSingleCommand implements Callable<Integer> {
  private static final TrainingConfig D = TrainingConfig.defaults("");

  @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--split", description = "EMNIST split; default: the only one present")
  String split = D.split();

  @Option(names = "--eval-fraction", description = "held-out share when only one file set exists (default ${DEFAULT-VALUE})")
  double evalFraction = D.evalFraction();

  @Option(names = "--hidden", description = "hidden units (default ${DEFAULT-VALUE})")
  int hidden = D.hidden();

  @Option(names = "--network", description = "mlp (784-hidden-classes, tanh), mlpN, or layers such as "
      + "c16k3-p2-c32k3-p2-f128 (cNkK convolution, p2 pooling, fN dense) (default ${DEFAULT-VALUE})")
  String network = D.network();

  @Option(names = "--batch", description = "minibatch size (default ${DEFAULT-VALUE})")
  int batch = D.batch();

  @Option(names = "--dropout", description = "hidden-layer dropout (default ${DEFAULT-VALUE})")
  double dropout = D.dropout();

  @Option(names = "--optimizer", description = "sgd, momentum or adagrad (default ${DEFAULT-VALUE})")
  String optimizer = D.optimizer();

  @Option(names = "--lr", description = "learning rate (default ${DEFAULT-VALUE})")
  double learningRate = D.learningRate();

  @Option(names = "--momentum", description = "momentum (default ${DEFAULT-VALUE})")
  double momentum = D.momentum();

  @Option(names = "--seed", description = "seed (default ${DEFAULT-VALUE})")
  long seed = D.seed();

  @Option(names = "--max-epochs", description = "epoch limit (default ${DEFAULT-VALUE})")
  int maxEpochs = D.maxEpochs();

  @Option(names = "--target", description = "target evaluation accuracy, 0 to train all epochs (default ${DEFAULT-VALUE})")
  double target = D.targetAccuracy();

  @Option(names = "--eval-every", description = "evaluate every N steps too, 0 for epoch ends only (default ${DEFAULT-VALUE})")
  int evalEvery = D.evalEverySteps();

  @Option(names = "--threads", description = "BLAS threads (default ${DEFAULT-VALUE})")
  int threads = D.threads();

  @Override
  public Integer call() {
    TrainingConfig config = new TrainingConfig(data, split, evalFraction, D.splitSeed(), hidden, network, batch,
        dropout,
        optimizer, learningRate, momentum, seed, maxEpochs, target, evalEvery, threads, 1, 1, 1, 1, D.pushEncoding(),
        D.pushDensity(), 0, D.sliceSeconds(), D.evalEverySeconds(), false, false, D.algorithm(), D.localSteps(), D.roundSeconds(),
        D.roundUpdate());
    if (!config.problems().isEmpty()) {
      config.problems().forEach(p -> System.err.println("error: " + p));
      return ExitCode.USAGE.code();
    }
    TrainingResult r = new SingleProcessTrainer(config, System.out).run();
    System.out.printf("RESULT reached=%s seconds_to_target=%.2f epochs=%d steps=%d final_acc=%.4f best_acc=%.4f%n",
        r.reached(), r.secondsToTarget(), r.epochsToTarget(), r.steps(), r.finalAccuracy(), r.best());
    return (r.reached() || target == 0 ? ExitCode.OK : ExitCode.NOT_REACHED).code();
  }
}
