package dev.emnistfaas.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Evaluation;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.ps.AveragingRounds;
import dev.emnistfaas.ps.JobStore;
import dev.emnistfaas.ps.ParameterStore;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One slice of one Downpour SGD worker (Dean et al. 2012). A slice:
 *
 * <ol>
 *   <li>does nothing if its number already ran or the worker is done (a duplicate or redelivered call);
 *   <li>loads the data and allocates its buffers (seconds on a fresh pod, before any lease is taken);
 *   <li>takes the worker's lease, waiting out the lease of a call that died, or does nothing if a live call
 *       holds it;
 *   <li>trains from the saved position: fetch the global parameters every nFetch steps, compute a minibatch
 *       gradient on the local copy, apply it locally, accrue it, push the accrued gradient every nPush steps —
 *       until the slice's time is up, the job's stop flag is raised, or the epoch limit is reached;
 *   <li>pushes what is left and saves the new position, only while it still holds the lease and the saved
 *       position is the one it started from.
 * </ol>
 *
 * Between pushes one worker at a time (an expiring lock) evaluates the global parameters and raises the stop
 * flag at the target.
 */
public final class DownpourWorker {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How often a running slice reports its progress. */
  private static final long REPORT_EVERY_NANOS = 1_000_000_000L;

  private final ParameterStore store;
  private final JobStore jobs;
  private final String job;
  private final int worker;
  private final TrainingConfig config;
  private final String host;
  private final PrintStream log;

  /** How a call of a slice ended. */
  public enum Status {
    /** The slice ran; the worker goes on with the next one. */
    CONTINUE,
    /** The slice ran and the worker is done (target, epochs or stop flag). */
    FINISHED,
    /** Nothing to do: this slice already ran, or the worker is done (a redelivered call). */
    STALE,
    /** Another live call of the same worker holds its lease (a duplicate delivery running in parallel). */
    BUSY
  }

  /** What a call of a slice ended with. */
  public record SliceOutcome(Status status, WorkerPosition position) {
    public boolean finished() {
      return status == Status.FINISHED;
    }
  }

  /** The request names a worker the job does not have. */
  public static final class NoSuchWorker extends RuntimeException {
    NoSuchWorker(String job, int worker, int workers) {
      super("job " + job + " has workers 0.." + (workers - 1) + ", got worker " + worker);
    }
  }

  /** The slice stopped without saving: it lost its lease, or another call saved the worker meanwhile. */
  public static class SliceAbandoned extends RuntimeException {
    SliceAbandoned(String message) {
      super(message);
    }
  }

  public DownpourWorker(ParameterStore store, JobStore jobs, String job, int worker, String host, PrintStream log) {
    this.store = store;
    this.jobs = jobs;
    this.job = job;
    this.worker = worker;
    this.config = DownpourJobs.configOf(jobs, job);
    if (worker < 0 || worker >= config.workers()) {
      throw new NoSuchWorker(job, worker, config.workers());
    }
    this.host = host;
    this.log = log;
  }

  public TrainingConfig config() {
    return config;
  }

  /** Runs the worker's next slice, whatever its number. */
  public SliceOutcome runSlice() {
    return runSlice(0);
  }

  /**
   * Runs slice {@code number} (1, 2, …; 0 means the next one) if it has not run yet and no other live call of
   * this worker is running. An interrupt aborts the slice without saving, as a pod's death would.
   */
  public SliceOutcome runSlice(int number) {
    Saved before = saved();
    if (before.alreadyRan(number)) {
      return duplicate(Status.STALE, before.position());
    }
    long called = System.nanoTime();
    Workspace workspace = new Workspace();
    long prepared = System.nanoTime();
    Optional<WorkerLease> taken = WorkerLease.take(jobs, job, worker);
    if (taken.isEmpty()) {
      return duplicate(Status.BUSY, before.position());
    }
    try (WorkerLease lease = taken.get()) {
      Saved saved = saved();
      if (saved.alreadyRan(number)) {
        return duplicate(Status.STALE, saved.position());
      }
      if (jobs.stopReason(job).isPresent()) {
        WorkerPosition done = saved.position().finished(System.currentTimeMillis(), host);
        save(lease, saved, done);
        logFinished(done);
        return new SliceOutcome(Status.FINISHED, done);
      }
      return train(saved, workspace, lease, new SliceLog(called, prepared, System.nanoTime()));
    }
  }

  private SliceOutcome duplicate(Status status, WorkerPosition position) {
    jobs.countOnce(job, JobStore.Counter.DUPLICATES, java.util.UUID.randomUUID().toString());
    return new SliceOutcome(status, position);
  }

  /** The worker's saved record as stored (for the compare-and-set) and as a position. */
  private record Saved(Optional<String> json, WorkerPosition position) {
    boolean alreadyRan(int number) {
      return position.done() || (number > 0 && number <= position.slices());
    }
  }

  private Saved saved() {
    Optional<String> json = jobs.worker(job, worker);
    return new Saved(json, json.map(WorkerPosition::fromJson)
        .orElseGet(() -> WorkerPosition.initial(dropoutSeed(config.seed(), worker))));
  }

  /** The data and buffers a slice trains with, made before the lease is taken. */
  private final class Workspace {
    final EmnistDataset data;
    final LabeledImages shard;
    final Network shape;
    final ParameterVector params;
    final ParameterVector grad;
    final ParameterVector accrued;
    final int batch;
    final BatchPass pass;
    final BatchPass tailPass;

    Workspace() {
      Blas.useThreads(config.threads());
      EmnistDataset.Source source = config.dataSource();
      data = DatasetCache.dataset(source);
      shard = DatasetCache.shard(source, worker, config.workers());
      shape = config.networkFor(shard.classes());
      if (shape.size() != store.size()) {
        throw new IllegalStateException("job " + job + " stores " + store.size() + " parameters, network " + shape
            + " has " + shape.size());
      }
      params = ParameterVector.zeros(shape);
      grad = ParameterVector.zeros(shape);
      accrued = ParameterVector.zeros(shape);
      batch = Math.min(config.batch(), shard.size());
      pass = shape.newPass(batch, true);
      int tail = shard.size() % batch;
      tailPass = tail == 0 ? null : shape.newPass(tail, true);
    }

    /**
     * One local step at the cursor: the minibatch's gradient on the local parameters, applied to them at {@code lr}
     * and accrued; returns its rows (the cursor is not advanced).
     */
    int step(EpochCursor cursor, SplitMix64 random, float dropout, float lr) {
      int rows = cursor.nextRows(batch);
      BatchPass p = rows == batch ? pass : tailPass;
      p.load(shard, cursor.order(), cursor.position());
      p.train(params, grad, dropout, random);
      params.addScaled(-lr, grad);
      accrued.addScaled(1f, grad);
      return rows;
    }
  }

  /**
   * What a training slice does before each step: abandon the slice if interrupted (as a pod's death would), renew
   * the lease when due, and report its progress every second.
   */
  private final class BetweenSteps {
    private final WorkerLease lease;
    private final WorkerPosition from;
    private final EpochCursor cursor;
    private final long trainStart;
    private long reportAt;

    BetweenSteps(WorkerLease lease, WorkerPosition from, EpochCursor cursor, long trainStart) {
      this.lease = lease;
      this.from = from;
      this.cursor = cursor;
      this.trainStart = trainStart;
      this.reportAt = trainStart;
    }

    /** {@code samples}: trained in this slice so far. */
    void check(long samples) {
      if (Thread.currentThread().isInterrupted()) {
        throw new SliceAbandoned("worker " + worker + " of job " + job + " interrupted mid-slice");
      }
      lease.renewIfDue();
      if (System.nanoTime() >= reportAt) {
        reportProgress(LiveProgress.Phase.TRAINING, from, cursor, samples, trainStart);
        reportAt = System.nanoTime() + REPORT_EVERY_NANOS;
      }
    }
  }

  /** When a slice's phases ended, for its log line: where a slice's time goes, in the pod's log. */
  private record SliceLog(long calledNanos, long preparedNanos, long leasedNanos) {
    /** The slice's line; the warm start's wait is told apart from training and from waiting on Redis. */
    void print(PrintStream log, String job, int worker, WorkerPosition p, long trainStartNanos, long trainedNanos,
        double warmStartSeconds, double waitSeconds, long samples) {
      double trained = (trainedNanos - trainStartNanos) / 1e9;
      // The share waiting on Redis is of the time from the first step to the last push's end (the last push and
      // the save wait on Redis too).
      double busy = (System.nanoTime() - trainStartNanos) / 1e9;
      log.printf("emnist-train: job %s worker %d slice %d: prepared in %.0f ms, lease in %.0f ms, %strained %.2f s "
          + "(%.0f samples/s, %.0f %% waiting on Redis), last push and save %.0f ms; epoch %d, %s%n", job, worker,
          p.slices(), (preparedNanos - calledNanos) / 1e6, (leasedNanos - preparedNanos) / 1e6,
          warmStartSeconds >= 0.05 ? String.format("waited %.2f s for worker 0's warm start, ", warmStartSeconds)
              : "", trained, trained > 0 ? samples / trained : 0, busy > 0 ? 100 * waitSeconds / busy : 0,
          (System.nanoTime() - trainedNanos) / 1e6, p.epoch(), p.done() ? "done" : "continues");
    }
  }

  private SliceOutcome train(Saved saved, Workspace ws, WorkerLease lease, SliceLog sliceLog) {
    long startMillis = System.currentTimeMillis();
    long start = System.nanoTime();
    WorkerPosition from = saved.position();
    SplitMix64 random = new SplitMix64(from.randomState());
    EpochCursor cursor = new EpochCursor(ws.shard.size(), orderSeed(config.seed(), worker), from.epoch(),
        from.cursor());
    long deadline = start + (long) (config.sliceSeconds() * 1e9);
    GlobalEvaluation evaluation = new GlobalEvaluation(ws.shape, ws.data.eval());
    long warmWaitStart = System.nanoTime();
    boolean started = worker == 0 || from.samples() > 0 || warmStarted(lease, deadline, from, cursor);
    double warmWaitSeconds = (System.nanoTime() - warmWaitStart) / 1e9;
    long trainStart = System.nanoTime();
    BetweenSteps between = new BetweenSteps(lease, from, cursor, trainStart);
    Trained run;
    if (config.trainingAlgorithm() == Algorithm.AVERAGE) {
      run = started ? averagingLoop(ws, cursor, random, lease, between, deadline, evaluation)
          : new Trained(0, 0, false, 0, 0, System.nanoTime());
    } else {
      run = downpourLoop(ws, cursor, random, between, deadline, evaluation, started);
    }
    long steps = run.steps();
    long samples = run.samples();
    boolean finished = run.finished();
    double waitSeconds = run.waitSeconds();
    long pushes = run.sends();
    long trainedNanos = run.trainedNanos();
    double seconds = (System.nanoTime() - start) / 1e9;
    double trainingSeconds = (System.nanoTime() - trainStart) / 1e9;
    WorkerPosition position = new WorkerPosition(finished ? WorkerState.DONE : WorkerState.RUNNING,
        cursor.epoch(), cursor.position(), from.steps() + steps, from.samples() + samples, random.state(),
        from.slices() + 1, from.pushes() + pushes, from.computeSeconds() + seconds,
        from.waitSeconds() + waitSeconds, from.warmStartSeconds() + warmWaitSeconds,
        trainingSeconds > 0 ? samples / trainingSeconds : 0,
        from.slices() == 0 ? startMillis : from.firstStartMillis(), startMillis, System.currentTimeMillis(),
        host, ws.shard.size());
    save(lease, saved, position);
    if (samples > 0) {
      jobs.addRate(job, new SliceRate(worker, (position.sliceEndMillis() - jobs.createdMillis(job)) / 1000.0,
          position.samplesPerSecond()).toJson());
    }
    noteOverlap(position);
    sliceLog.print(log, job, worker, position, trainStart, trainedNanos, warmWaitSeconds, waitSeconds, samples);
    if (finished) {
      logFinished(position);
    }
    return new SliceOutcome(finished ? Status.FINISHED : Status.CONTINUE, position);
  }

  /**
   * What a slice's training loop did: its steps and samples, whether the worker is done, its time waiting on Redis,
   * its sends (Downpour's pushes, or averaging's contributions) and when its last step ended.
   */
  private record Trained(long steps, long samples, boolean finished, double waitSeconds, long sends,
      long trainedNanos) {}

  /**
   * Downpour SGD, until the slice's time is up, the job stops or the epochs run out: fetch the global parameters
   * every nFetch steps, step, accrue, push every nPush steps (beside the steps with background communication); then
   * push what is left. Without {@code started} (the warm start not over) it trains nothing.
   */
  private Trained downpourLoop(Workspace ws, EpochCursor cursor, SplitMix64 random, BetweenSteps between,
      long deadline, GlobalEvaluation evaluation, boolean started) {
    float dropout = (float) config.dropout();
    float lr = (float) config.learningRate();
    long steps = 0;
    long samples = 0;
    int sinceFetch = 0;
    int sincePush = 0;
    boolean finished = false;
    try (ParameterChannel channel = ParameterChannel.create(config.backgroundCommunication(),
        store.pusher("worker-" + worker), evaluation::afterPush)) {
      channel.fetchNow(ws.params);
      while (started) {
        between.check(samples);
        if (sinceFetch >= config.nFetch() && channel.refresh(ws.params)) {
          sinceFetch = 0;
        }
        int rows = ws.step(cursor, random, dropout, lr);
        steps++;
        samples += rows;
        sinceFetch++;
        sincePush++;
        boolean epochDone = cursor.advance(rows);
        boolean outOfEpochs = epochDone && cursor.epoch() > config.maxEpochs();
        if ((sincePush >= config.nPush() || outOfEpochs)
            && channel.offerPush(ws.accrued, sinceFetch >= config.nFetch())) {
          sincePush = 0;
        }
        if (outOfEpochs || channel.stopRequested()) {
          finished = true;
          break;
        }
        if (System.nanoTime() >= deadline || (epochDone && config.sliceAtEpochEnd())) {
          break;
        }
      }
      long trainedNanos = System.nanoTime();
      channel.flush(ws.accrued, sincePush > 0);
      return new Trained(steps, samples, finished, channel.waitSeconds(), channel.pushes(), trainedNanos);
    }
  }

  /** How often a worker waiting for its round to close looks at the round, and at the other workers' leases. */
  private static final long ROUND_POLL_MILLIS = 2;
  private static final long ROUND_LEASES_EVERY_NANOS = 50_000_000L;

  /**
   * Parameter averaging, until the slice's time is up, the job stops or the epochs run out: fetch the global
   * parameters with their round, train {@code localSteps} local steps, contribute what was accrued, and wait until
   * the round closes — closing it when every worker that is running (holds its lease) has contributed, or when the
   * round is {@code roundSeconds} old. A worker that is not running (between slices, or its pod died) does not hold
   * a round: it joins a later one.
   */
  private Trained averagingLoop(Workspace ws, EpochCursor cursor, SplitMix64 random, WorkerLease lease,
      BetweenSteps between, long deadline, GlobalEvaluation evaluation) {
    AveragingRounds rounds = store.rounds();
    RunningWorkers running = new RunningWorkers();
    float[] transfer = new float[ws.shape.size()];
    float[] fresh = new float[ws.shape.size()];
    float dropout = (float) config.dropout();
    float lr = (float) config.learningRate();
    long steps = 0;
    long samples = 0;
    long contributions = 0;
    long waitNanos = 0;
    boolean finished = false;
    long w0 = System.nanoTime();
    long[] round = rounds.fetch(transfer);
    waitNanos += System.nanoTime() - w0;
    ws.params.set(transfer);
    while (true) {
      ws.accrued.zero();
      boolean outOfEpochs = false;
      boolean epochDone = false;
      for (int k = 0; k < config.localSteps() && !outOfEpochs; k++) {
        between.check(samples);
        int rows = ws.step(cursor, random, dropout, lr);
        steps++;
        samples += rows;
        epochDone |= cursor.advance(rows);
        outOfEpochs = epochDone && cursor.epoch() > config.maxEpochs();
      }
      long waitStart = System.nanoTime();
      ws.accrued.get(0, transfer, 0, transfer.length);
      boolean added = false;
      boolean closedEverywhere = true;
      for (AveragingRounds.Contribution c : rounds.contribute(worker, round, transfer, running.count(),
          config.roundUpdateRule(), fresh)) {
        added |= c == AveragingRounds.Contribution.ADDED || c == AveragingRounds.Contribution.CLOSED;
        closedEverywhere &= c == AveragingRounds.Contribution.CLOSED;
      }
      contributions += added ? 1 : 0;
      boolean stopped = false;
      if (closedEverywhere) {
        // This contribution closed the round everywhere: the new parameters came back with it.
        ws.params.set(fresh);
        for (int s = 0; s < round.length; s++) {
          round[s]++;
        }
      } else {
        stopped = awaitRound(rounds, round, running, lease);
        round = rounds.fetch(transfer);
        ws.params.set(transfer);
      }
      waitNanos += System.nanoTime() - waitStart;
      stopped |= evaluation.afterPush();
      if (outOfEpochs || stopped) {
        finished = true;
        break;
      }
      if (System.nanoTime() >= deadline || (epochDone && config.sliceAtEpochEnd())) {
        break;
      }
    }
    return new Trained(steps, samples, finished, waitNanos / 1e9, contributions, System.nanoTime());
  }

  /**
   * Waits until round {@code round} has closed on every shard, closing it when it should close; true when the job
   * was stopped meanwhile (the worker then stops without waiting further).
   */
  private boolean awaitRound(AveragingRounds rounds, long[] round, RunningWorkers running, WorkerLease lease) {
    long stopAt = 0;
    while (true) {
      AveragingRounds.State state = rounds.state();
      if (!state.stillOpen(round)) {
        return false;
      }
      if (System.nanoTime() >= stopAt) {
        if (jobs.stopReason(job).isPresent()) {
          return true;
        }
        stopAt = System.nanoTime() + ROUND_LEASES_EVERY_NANOS;
      }
      if (state.everyOpenRoundHas(round, running.count())
          || state.openedLongerThan(round, (long) (config.roundSeconds() * 1000), System.currentTimeMillis())) {
        rounds.close(round, config.roundUpdateRule());
        continue;
      }
      lease.renewIfDue();
      try {
        Thread.sleep(ROUND_POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SliceAbandoned("worker " + worker + " of job " + job + " interrupted waiting for its round");
      }
    }
  }

  /** How many of the job's workers are running (hold their lease), read again at most every 50 ms; at least 1. */
  private final class RunningWorkers {
    private int count;
    private long readAt;

    int count() {
      if (System.nanoTime() >= readAt) {
        count = (int) Math.max(1, jobs.workers(job, config.workers()).stream().filter(JobStore.WorkerRecords::leased)
            .count());
        readAt = System.nanoTime() + ROUND_LEASES_EVERY_NANOS;
      }
      return count;
    }
  }

  /** The seed of worker {@code worker}'s epoch orders over its shard, for a job seeded {@code seed}. */
  static long orderSeed(long seed, int worker) {
    return seed + 1000L * worker;
  }

  /** The initial state of worker {@code worker}'s dropout stream, for a job seeded {@code seed}. */
  static long dropoutSeed(long seed, int worker) {
    return seed * 0x9E3779B97F4A7C15L + worker;
  }

  /** How long a worker waits for worker 0's first slice to begin before it starts without a warm start. */
  private static final long WARM_START_GRACE_NANOS = 1_000_000_000L;

  /**
   * Dean et al.'s warm start: a worker other than 0 starts its first slice only once worker 0 alone has trained
   * {@code warmStartSamples} samples. It waits only while worker 0 is training (holds its lease), or for a second
   * for its call to begin: with one queue-worker, as OpenFaaS CE has by default, worker 0 cannot run while this
   * slice holds the queue, and this worker then starts at once. False when the job stopped or the slice's time ran
   * out first: the slice then ends untrained.
   */
  private boolean warmStarted(WorkerLease lease, long deadline, WorkerPosition from, EpochCursor cursor) {
    long graceEnds = System.nanoTime() + WARM_START_GRACE_NANOS;
    long waitStart = System.nanoTime();
    long reportAt = waitStart;
    while (workerZeroSamples() < config.warmStartSamples()) {
      if (System.nanoTime() >= reportAt) {
        reportProgress(LiveProgress.Phase.WARM_START, from, cursor, 0, waitStart);
        reportAt = System.nanoTime() + REPORT_EVERY_NANOS;
      }
      if (jobs.stopReason(job).isPresent() || System.nanoTime() >= deadline) {
        return false;
      }
      if (System.nanoTime() >= graceEnds && !jobs.workers(job, 1).get(0).leased()) {
        return true; // worker 0 is not training: there is no warm start to wait for
      }
      lease.renewIfDue();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SliceAbandoned("worker " + worker + " of job " + job + " interrupted during the warm start");
      }
    }
    return true;
  }

  /**
   * How many samples worker 0 has trained, as far as this worker can tell: the most of its saved position, its
   * live progress (reported every second) and its pushes applied (each of at least nPush batches). Counting pushes
   * alone undercounted: a push that waits for the one in flight merges with the next, so under load 80 pushes stood
   * for 196,000 samples and a second worker waited a whole job.
   */
  private long workerZeroSamples() {
    JobStore.WorkerRecords zero = jobs.workers(job, 1).get(0);
    long saved = zero.saved().map(WorkerPosition::fromJson).map(WorkerPosition::samples).orElse(0L);
    long live = zero.live().map(LiveProgress::fromJson).map(LiveProgress::samples).orElse(0L);
    long pushed = store.updates() / store.shards() * config.nPush() * config.batch();
    return Math.max(pushed, Math.max(saved, live));
  }

  /** The live figures of a running slice, for the status between slice ends. */
  private void reportProgress(LiveProgress.Phase phase, WorkerPosition from, EpochCursor cursor, long samples,
      long startNanos) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    jobs.saveLiveProgress(job, worker, new LiveProgress(phase, from.slices() + 1,
        cursor.epoch() - 1 + (double) cursor.position() / cursor.size(), from.samples() + samples,
        seconds > 0 ? samples / seconds : 0, System.currentTimeMillis(), host).toJson());
  }

  /** Saves {@code position} over {@code saved}, fenced by the lease; a refused save abandons the slice. */
  private void save(WorkerLease lease, Saved saved, WorkerPosition position) {
    JobStore.SaveResult r = jobs.saveWorker(job, worker, lease.token(), saved.json(), position.toJson());
    if (r != JobStore.SaveResult.SAVED) {
      throw new SliceAbandoned("worker " + worker + " of job " + job + ": slice " + position.slices()
          + " not saved (" + r + "); another call speaks for the worker now");
    }
  }

  /** Records that this slice ran at the same moment as another worker's last slice. */
  private void noteOverlap(WorkerPosition mine) {
    List<JobStore.WorkerRecords> all = jobs.workers(job, config.workers());
    for (int w = 0; w < all.size(); w++) {
      if (w != worker && all.get(w).saved().map(WorkerPosition::fromJson).filter(mine::lastSliceOverlaps)
          .isPresent()) {
        jobs.markOverlap(job);
        return;
      }
    }
  }

  /** The predecessor's log line, so that collecting results from the pods' logs keeps working. */
  private void logFinished(WorkerPosition p) {
    log.printf("Worker ID: %d Iterations: %d Time: %.2f Name: %s%n", worker, Math.min(p.epoch(), config.maxEpochs()),
        (p.sliceEndMillis() - jobs.createdMillis(job)) / 1000.0, host);
  }

  /**
   * The worker's duties after each push: when it is this worker's turn (an expiring lock shared by all), score
   * the global parameters on the evaluation part and raise the stop flag at the target; and report whether the
   * job was stopped. Runs on whichever thread pushes; it allocates its buffers on first use.
   */
  private final class GlobalEvaluation {
    private final Network shape;
    private final LabeledImages images;
    private Evaluator evaluator;
    private ParameterVector global;
    private float[] transfer;

    GlobalEvaluation(Network shape, LabeledImages images) {
      this.shape = shape;
      this.images = images;
    }

    boolean afterPush() {
      if (jobs.tryEvaluationTurn(job, Duration.ofMillis((long) (config.evalEverySeconds() * 1000)))) {
        if (evaluator == null) {
          evaluator = new Evaluator(shape, images);
          global = ParameterVector.zeros(shape);
          transfer = new float[shape.size()];
        }
        evaluate();
      }
      return jobs.stopReason(job).isPresent();
    }

    private void evaluate() {
      store.fetch(transfer);
      // The time of the parameters scored, not of the end of the scoring.
      double seconds = (System.currentTimeMillis() - jobs.createdMillis(job)) / 1000.0;
      global.set(transfer);
      Evaluation e = evaluator.evaluate(global);
      ObjectNode record = JSON.createObjectNode()
          .put("seconds", seconds)
          .put("accuracy", e.accuracy())
          .put("balancedAccuracy", e.balancedAccuracy())
          .put("loss", e.meanLoss())
          .put("updates", store.updates() / store.shards())
          .put("worker", worker);
      jobs.addEvaluation(job, record.toString());
      jobs.offerBest(job, e.accuracy(), global.toBytes());
      if (config.targetAccuracy() > 0 && e.accuracy() >= config.targetAccuracy()) {
        jobs.requestStop(job, JobStop.target(seconds, e.accuracy()).toJson());
      }
    }
  }
}
