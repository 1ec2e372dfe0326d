package dev.emnistfaas.train;

import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.ps.RoundUpdate;
import dev.emnistfaas.ps.UpdateRule;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Parameter averaging with M logical workers in one process, the companion of {@link StalenessSimulation}: how
 * many samples in all a job needs to reach its target. In each round every worker starts from the global
 * parameters, trains {@code localSteps} local SGD steps on its own shard (the real worker's loop: its epoch order,
 * its dropout stream), and contributes the gradient it accrued; the round's contributions, summed and divided as the
 * {@link RoundUpdate} says, go through the store's rule ({@link UpdateRule}; with the mean and SGD at the local
 * rate the new global parameters are exactly the mean of the workers' local ones). Rounds are synchronous, so there is no staleness, and the order in which workers run within
 * a round does not matter: they run one after another.
 *
 * <p>What it leaves out, as the Downpour simulation does: the speed of communication, stragglers (on the real
 * platform a round closes without a worker that is not running) and slices.
 */
public final class AveragingSimulation {
  /** What one simulated job is. */
  public record Setup(int workers, UpdateRule rule, RoundUpdate update, int batch, int localSteps, float dropout,
      long seed, double target, long maxSamples, long evalEverySamples) {}

  /** How it went: samples over all workers when the target was first reached (or -1), and the rounds run. */
  public record Result(Setup setup, long samplesToTarget, double bestAccuracy, double finalAccuracy, long samples,
      long rounds, double seconds) {
    public boolean reached() {
      return samplesToTarget >= 0;
    }
  }

  private final Network shape;
  private final LabeledImages train;
  private final Evaluator evaluator;

  public AveragingSimulation(LabeledImages train, LabeledImages eval, Network network) {
    this.shape = network;
    this.train = train;
    this.evaluator = new Evaluator(shape, eval);
  }

  public Result run(Setup s) {
    Blas.useThreads(1);
    long t0 = System.nanoTime();
    int n = shape.size();
    float[] global = ParameterVector.initial(shape, s.seed()).toArray();
    float[] accumulators = new float[n];
    float[] mean = new float[n];
    float[] transfer = new float[n];
    LabeledImages[] shards = new LabeledImages[s.workers()];
    EpochCursor[] cursors = new EpochCursor[s.workers()];
    SplitMix64[] randoms = new SplitMix64[s.workers()];
    for (int w = 0; w < s.workers(); w++) {
      shards[w] = train.shard(w, s.workers());
      cursors[w] = new EpochCursor(shards[w].size(), DownpourWorker.orderSeed(s.seed(), w), 1, 0);
      randoms[w] = new SplitMix64(DownpourWorker.dropoutSeed(s.seed(), w));
    }
    ParameterVector local = ParameterVector.zeros(shape);
    ParameterVector grad = ParameterVector.zeros(shape);
    ParameterVector accrued = ParameterVector.zeros(shape);
    ParameterVector evalView = ParameterVector.zeros(shape);
    Map<Integer, BatchPass> passes = new HashMap<>();
    float lr = s.rule().learningRate();
    float factor = s.update().factor(s.workers());

    long samples = 0;
    long rounds = 0;
    long nextEval = s.evalEverySamples();
    long toTarget = -1;
    double best = 0;
    double last = 0;
    while (samples < s.maxSamples() && toTarget < 0) {
      Arrays.fill(mean, 0f);
      for (int w = 0; w < s.workers(); w++) {
        local.set(global);
        accrued.zero();
        for (int step = 0; step < s.localSteps(); step++) {
          int rows = cursors[w].nextRows(Math.min(s.batch(), shards[w].size()));
          BatchPass pass = passes.computeIfAbsent(rows, r -> shape.newPass(r, true));
          pass.load(shards[w], cursors[w].order(), cursors[w].position());
          pass.train(local, grad, s.dropout(), randoms[w]);
          local.addScaled(-lr, grad);
          accrued.addScaled(1f, grad);
          cursors[w].advance(rows);
          samples += rows;
        }
        accrued.get(0, transfer, 0, n);
        for (int i = 0; i < n; i++) {
          mean[i] += transfer[i] * factor;
        }
      }
      s.rule().apply(global, 0, mean, 0, n, accumulators);
      rounds++;
      if (samples >= nextEval) {
        while (nextEval <= samples) {
          nextEval += s.evalEverySamples();
        }
        evalView.set(global);
        last = evaluator.evaluate(evalView).accuracy();
        best = Math.max(best, last);
        if (last >= s.target()) {
          toTarget = samples;
        }
      }
    }
    return new Result(s, toTarget, best, last, samples, rounds, (System.nanoTime() - t0) / 1e9);
  }
}
