package dev.emnistfaas.train;

import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.ps.UpdateRule;
import java.util.HashMap;
import java.util.Map;

/**
 * Downpour SGD with M logical workers interleaved in one process, to measure its statistical efficiency at a
 * scale this machine cannot run for real. Each worker is the real worker's loop (see {@link DownpourWorker}):
 * its own shard, epoch order and dropout stream; a local SGD step per batch on its own copy of the parameters;
 * the gradient accrued and pushed every {@code nPush} steps with the store's rule ({@link UpdateRule}, the same
 * code the parameter store runs); the global parameters fetched every {@code nFetch} steps. The workers take
 * turns one step at a time, as equally fast workers would, and a push lands one round later, at the worker's
 * next turn, as the real worker's push runs beside its next steps (the fetch that follows it returns the
 * parameters with it, as pushAndFetch does). So while one worker computes, every other one pushes: its view is
 * as stale as on the real platform, about M - 1 pushes old when its push lands (measured and reported as
 * {@link Result#meanStaleness}). Workers start spread over a push interval, as real ones start at different
 * moments. Optionally one worker trains alone first (Dean et al.'s warm start).
 *
 * <p>What it leaves out: the speed of communication (it is one step), stragglers, slices and restarts.
 */
public final class StalenessSimulation {
  /** What one simulated job is. */
  public record Setup(int workers, UpdateRule rule, int batch, int nFetch, int nPush, float dropout, long seed,
      long warmStartSamples, double target, long maxSamples, long evalEverySamples) {}

  /** How it went: samples over all workers when the target was first reached (or -1), and the best accuracy. */
  public record Result(Setup setup, long samplesToTarget, double bestAccuracy, double finalAccuracy,
      long samples, double meanStaleness, double seconds) {
    public boolean reached() {
      return samplesToTarget >= 0;
    }
  }

  private final Network shape;
  private final LabeledImages train;
  private final Evaluator evaluator;

  public StalenessSimulation(LabeledImages train, LabeledImages eval, Network network) {
    this.shape = network;
    this.train = train;
    this.evaluator = new Evaluator(shape, eval);
  }

  /** One logical worker: the state a real worker keeps between its steps. */
  private static final class Worker {
    final LabeledImages shard;
    final EpochCursor cursor;
    final SplitMix64 random;
    final ParameterVector params;
    final ParameterVector accrued;
    /** A push sent at the end of a step, landing at the worker's next turn. */
    final float[] outgoing;
    boolean pushInFlight;
    /** Turns this worker sits out at the start, so that the workers' pushes are spread over a round. */
    final long startTurn;
    int sinceFetch;
    int sincePush;
    long fetchedVersion;

    Worker(LabeledImages shard, EpochCursor cursor, SplitMix64 random, Network shape, int nFetch,
        long startTurn) {
      this.shard = shard;
      this.cursor = cursor;
      this.random = random;
      this.params = ParameterVector.zeros(shape);
      this.accrued = ParameterVector.zeros(shape);
      this.outgoing = new float[shape.size()];
      this.sinceFetch = nFetch; // fetch before the first step
      this.startTurn = startTurn;
    }
  }

  public Result run(Setup s) {
    Blas.useThreads(1);
    long t0 = System.nanoTime();
    int n = shape.size();
    float[] global = ParameterVector.initial(shape, s.seed()).toArray();
    float[] accumulators = new float[n];
    long version = 0;
    long stalenessSum = 0;
    Worker[] workers = new Worker[s.workers()];
    for (int w = 0; w < workers.length; w++) {
      LabeledImages shard = train.shard(w, s.workers());
      // Worker w starts w/M of a push interval late: real workers start at different moments, and workers
      // that pushed in the same turn would see each other's pushes half as often as spread-out ones do.
      workers[w] = new Worker(shard, new EpochCursor(shard.size(), DownpourWorker.orderSeed(s.seed(), w), 1, 0),
          new SplitMix64(DownpourWorker.dropoutSeed(s.seed(), w)), shape, s.nFetch(),
          (long) w * s.nPush() / s.workers() * s.workers());
    }
    ParameterVector grad = ParameterVector.zeros(shape);
    ParameterVector evalView = ParameterVector.zeros(shape);
    Map<Integer, BatchPass> passes = new HashMap<>();
    float lr = s.rule().learningRate();

    long samples = 0;
    long nextEval = s.evalEverySamples();
    long toTarget = -1;
    double best = 0;
    double last = 0;
    long warmEnd = -1;
    for (long turn = 0; samples < s.maxSamples(); turn++) {
      // During the warm start only worker 0 trains; then all do, each from its own start.
      boolean warming = samples < s.warmStartSamples();
      if (!warming && warmEnd < 0) {
        warmEnd = turn;
      }
      Worker wk = workers[warming ? 0 : (int) (turn % workers.length)];
      if (!warming && turn - warmEnd < wk.startTurn) {
        continue;
      }
      if (wk.pushInFlight) {
        s.rule().apply(global, 0, wk.outgoing, 0, n, accumulators);
        stalenessSum += version - wk.fetchedVersion;
        version++;
        wk.pushInFlight = false;
      }
      if (wk.sinceFetch >= s.nFetch()) {
        wk.params.set(global);
        wk.fetchedVersion = version;
        wk.sinceFetch = 0;
      }
      int rows = wk.cursor.nextRows(Math.min(s.batch(), wk.shard.size()));
      BatchPass pass = passes.computeIfAbsent(rows, r -> shape.newPass(r, true));
      pass.load(wk.shard, wk.cursor.order(), wk.cursor.position());
      pass.train(wk.params, grad, s.dropout(), wk.random);
      wk.params.addScaled(-lr, grad);
      wk.accrued.addScaled(1f, grad);
      wk.cursor.advance(rows);
      wk.sinceFetch++;
      wk.sincePush++;
      samples += rows;
      if (wk.sincePush >= s.nPush()) {
        wk.accrued.get(0, wk.outgoing, 0, n);
        wk.pushInFlight = true;
        wk.accrued.zero();
        wk.sincePush = 0;
      }
      if (samples >= nextEval) {
        nextEval += s.evalEverySamples();
        evalView.set(global);
        last = evaluator.evaluate(evalView).accuracy();
        best = Math.max(best, last);
        if (last >= s.target()) {
          toTarget = samples;
          break;
        }
      }
    }
    return new Result(s, toTarget, best, last, samples, version == 0 ? 0 : (double) stalenessSum / version,
        (System.nanoTime() - t0) / 1e9);
  }
}
