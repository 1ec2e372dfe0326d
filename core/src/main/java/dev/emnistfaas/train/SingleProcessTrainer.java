package dev.emnistfaas.train;

import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Evaluation;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.optim.Optimizer;
import dev.emnistfaas.train.TrainingResult.Checkpoint;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Minibatch training in one process, read top to bottom: shuffle each epoch, step through the batches,
 * evaluate every {@code evalEverySteps} steps and at each epoch's end, stop at the target accuracy or the
 * epoch limit. The reference every distributed run is measured against.
 */
public final class SingleProcessTrainer {
  private final TrainingConfig config;
  private final PrintStream log;
  private ParameterVector params;

  public SingleProcessTrainer(TrainingConfig config, PrintStream log) {
    this.config = config.validated();
    this.log = log;
  }

  /** The parameters after {@link #run}. */
  public ParameterVector parameters() {
    return params;
  }

  public TrainingResult run() {
    EmnistDataset data = EmnistDataset.load(config.dataSource());
    log.println(data.description());
    return run(data.train(), data.eval());
  }

  public TrainingResult run(LabeledImages train, LabeledImages eval) {
    Blas.useThreads(config.threads());
    Network shape = config.networkFor(train.classes());
    log.printf("network %s (%d parameters), %s lr %.4g, batch %d, dropout %.2f, %d training images%n",
        shape, shape.size(), config.optimizer(), config.learningRate(), config.batch(), config.dropout(),
        train.size());
    params = ParameterVector.initial(shape, config.seed());
    ParameterVector grad = ParameterVector.zeros(shape);
    Optimizer optimizer = Optimizer.create(config.optimizerSetting(), shape);
    int batch = Math.min(config.batch(), train.size());
    BatchPass pass = shape.newPass(batch, true);
    int tail = train.size() % batch;
    BatchPass tailPass = tail == 0 ? null : shape.newPass(tail, true);
    Evaluator evaluator = new Evaluator(shape, eval);
    SplitMix64 dropoutRandom = new SplitMix64(config.seed() ^ 0xD1B54A32D192ED03L);
    float dropout = (float) config.dropout();

    List<Checkpoint> history = new ArrayList<>();
    long start = System.nanoTime();
    long step = 0;
    double secondsToTarget = Double.NaN;
    int epochsToTarget = 0;
    double best = 0;
    Evaluation last = null;
    for (int epoch = 1; epoch <= config.maxEpochs() && Double.isNaN(secondsToTarget); epoch++) {
      int[] order = EpochOrder.of(train.size(), config.seed(), epoch);
      double lossSum = 0;
      int batches = 0;
      for (int from = 0; from < train.size(); from += batch) {
        BatchPass p = train.size() - from >= batch ? pass : tailPass;
        p.load(train, order, from);
        lossSum += p.train(params, grad, dropout, dropoutRandom);
        optimizer.apply(params, grad);
        step++;
        batches++;
        boolean epochEnd = from + batch >= train.size();
        if (epochEnd || (config.evalEverySteps() > 0 && step % config.evalEverySteps() == 0)) {
          last = evaluator.evaluate(params);
          double seconds = (System.nanoTime() - start) / 1e9;
          history.add(new Checkpoint(epoch, step, seconds, last.accuracy(), last.meanLoss(), lossSum / batches));
          best = Math.max(best, last.accuracy());
          if (epochEnd) {
            log.printf("epoch %3d  step %7d  train loss %.4f  eval loss %.4f  eval acc %.2f %%  %.2f s%n",
                epoch, step, lossSum / batches, last.meanLoss(), 100 * last.accuracy(), seconds);
          }
          if (config.targetAccuracy() > 0 && last.accuracy() >= config.targetAccuracy()) {
            secondsToTarget = seconds;
            epochsToTarget = epoch;
            log.printf("target %.2f %% reached: eval acc %.2f %% at epoch %d, step %d, after %.2f s%n",
                100 * config.targetAccuracy(), 100 * last.accuracy(), epoch, step, seconds);
            break;
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    boolean reached = !Double.isNaN(secondsToTarget);
    if (config.targetAccuracy() == 0) {
      log.printf("trained %d epochs; best eval acc %.2f %%%n", config.maxEpochs(), 100 * best);
    } else if (!reached) {
      log.printf("target %.2f %% not reached in %d epochs; best eval acc %.2f %%%n",
          100 * config.targetAccuracy(), config.maxEpochs(), 100 * best);
    }
    return new TrainingResult(reached, secondsToTarget, epochsToTarget, step, seconds,
        last == null ? 0 : last.accuracy(), best, List.copyOf(history));
  }
}
