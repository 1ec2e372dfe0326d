package dev.emnistfaas.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.BatchPass;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Evaluation;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.NetworkShape;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.nn.SplitMix64;
import dev.emnistfaas.ps.JobStore;
import dev.emnistfaas.ps.ParameterStore;
import java.io.PrintStream;
import java.time.Duration;

/**
 * One slice of one Downpour SGD worker (Dean et al. 2012): restore the worker's position, then loop — fetch
 * the global parameters every nFetch steps, compute a minibatch gradient on the local copy, apply it locally,
 * accrue it, push the accrued gradient every nPush steps — until the slice's time is up, the job's stop flag
 * is raised, or the epoch limit is reached; then push what is left and save the position. Between pushes one
 * worker at a time (an expiring lock) evaluates the global parameters and raises the stop flag at the target.
 */
public final class DownpourWorker {
  private static final ObjectMapper JSON = new ObjectMapper();

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
    /** Another call of the same worker holds its lease (a duplicate delivery running in parallel). */
    BUSY
  }

  /** What a call of a slice ended with. */
  public record SliceOutcome(Status status, WorkerPosition position) {
    public boolean finished() {
      return status == Status.FINISHED;
    }
  }

  /** The slice lost its lease (it ran past the lease's expiry and another call took over) and stopped. */
  public static final class LeaseLost extends RuntimeException {
    LeaseLost(String job, int worker) {
      super("worker " + worker + " of job " + job + " lost its lease mid-slice; stopped without saving");
    }
  }

  /** How long a slice's lease lasts without renewal, and how often it is renewed. */
  static final Duration LEASE = Duration.ofSeconds(3);
  static final long RENEW_EVERY_NANOS = 500_000_000L;

  public DownpourWorker(ParameterStore store, JobStore jobs, String job, int worker, String host, PrintStream log) {
    this.store = store;
    this.jobs = jobs;
    this.job = job;
    this.worker = worker;
    this.config = DownpourJobs.configOf(jobs, job);
    if (worker < 0 || worker >= config.workers()) {
      throw new IllegalArgumentException("worker must be in 0.." + (config.workers() - 1) + ", got " + worker);
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
   * Runs slice {@code number} (1, 2, …; 0 means the next one) if it has not run yet and no other call of this
   * worker is running. An interrupt aborts the slice at once without saving, as a pod's death would.
   */
  public SliceOutcome runSlice(int number) {
    WorkerPosition before = savedPosition();
    if (before.done() || (number > 0 && number <= before.slices())) {
      return new SliceOutcome(Status.STALE, before);
    }
    String token = java.util.UUID.randomUUID().toString();
    if (!jobs.acquireLease(job, worker, token, LEASE)) {
      return new SliceOutcome(Status.BUSY, before);
    }
    WorkerPosition saved = savedPosition();
    if (saved.done() || (number > 0 && number <= saved.slices())) {
      jobs.releaseLease(job, worker, token);
      return new SliceOutcome(Status.STALE, saved);
    }
    SliceOutcome outcome = train(saved, token);
    jobs.releaseLease(job, worker, token);
    return outcome;
  }

  private SliceOutcome train(WorkerPosition saved, String token) {
    long startMillis = System.currentTimeMillis();
    long start = System.nanoTime();
    Blas.useThreads(config.threads());
    EmnistDataset.Source source = config.dataSource();
    EmnistDataset data = DatasetCache.dataset(source);
    LabeledImages shard = DatasetCache.shard(source, worker, config.workers());
    NetworkShape shape = new NetworkShape(LabeledImages.PIXELS, config.hidden(), shard.classes());
    if (shape.size() != store.size()) {
      throw new IllegalStateException("job " + job + " stores " + store.size() + " parameters, network " + shape
          + " has " + shape.size());
    }
    ParameterVector params = ParameterVector.zeros(shape);
    ParameterVector grad = ParameterVector.zeros(shape);
    ParameterVector accrued = ParameterVector.zeros(shape);
    int batch = Math.min(config.batch(), shard.size());
    BatchPass pass = new BatchPass(shape, batch);
    int tail = shard.size() % batch;
    BatchPass tailPass = tail == 0 ? null : new BatchPass(shape, tail);
    SplitMix64 random = new SplitMix64(saved.randomState());
    EpochCursor cursor = new EpochCursor(shard.size(), config.seed() + 1000L * worker, saved.epoch(), saved.cursor());
    float dropout = (float) config.dropout();
    float lr = (float) config.learningRate();
    long deadline = start + (long) (config.sliceSeconds() * 1e9);
    GlobalEvaluation evaluation = new GlobalEvaluation(shape, data.eval());
    jobs.beginSlice(job, worker, startMillis, startMillis + (long) (config.sliceSeconds() * 2000) + 10_000);

    long steps = 0;
    long samples = 0;
    int sinceFetch = 0;
    int sincePush = 0;
    boolean finished = false;
    long renewAt = start + RENEW_EVERY_NANOS;
    double waitSeconds;
    long pushes;
    try (ParameterChannel channel = ParameterChannel.create(config.backgroundCommunication(), store,
        evaluation::afterPush)) {
      channel.fetchNow(params);
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          throw new IllegalStateException("worker " + worker + " of job " + job + " interrupted mid-slice");
        }
        if (System.nanoTime() >= renewAt) {
          if (!jobs.renewLease(job, worker, token, LEASE)) {
            throw new LeaseLost(job, worker);
          }
          renewAt = System.nanoTime() + RENEW_EVERY_NANOS;
          jobs.saveLiveProgress(job, worker, cursor.epoch() - 1 + (double) cursor.position() / shard.size(),
              samples / ((System.nanoTime() - start) / 1e9), System.currentTimeMillis());
        }
        if (sinceFetch >= config.nFetch()) {
          channel.refresh(params);
          sinceFetch = 0;
        }
        int rows = cursor.nextRows(batch);
        BatchPass p = rows == batch ? pass : tailPass;
        p.load(shard, cursor.order(), cursor.position());
        p.train(params, grad, dropout, random);
        params.addScaled(-lr, grad);
        accrued.addScaled(1f, grad);
        steps++;
        samples += rows;
        sinceFetch++;
        sincePush++;
        boolean epochDone = cursor.advance(rows);
        boolean outOfEpochs = epochDone && cursor.epoch() > config.maxEpochs();
        if ((sincePush >= config.nPush() || outOfEpochs)
            && channel.offerPush(accrued, sinceFetch >= config.nFetch())) {
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
      channel.flush(accrued, sincePush > 0);
      waitSeconds = channel.waitSeconds();
      pushes = channel.pushes();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    WorkerPosition position = new WorkerPosition(finished ? WorkerPosition.DONE : WorkerPosition.RUNNING,
        cursor.epoch(), cursor.position(), saved.steps() + steps, saved.samples() + samples, random.state(),
        saved.slices() + 1, saved.pushes() + pushes, saved.computeSeconds() + seconds,
        saved.waitSeconds() + waitSeconds, samples / seconds,
        saved.slices() == 0 ? startMillis : saved.firstStartMillis(), startMillis, System.currentTimeMillis(),
        host, shard.size());
    jobs.saveWorker(job, worker, position.toMap());
    jobs.endSlice(job, worker);
    if (finished) {
      // The predecessor's log line, so that collecting results with kubectl logs keeps working.
      log.printf("Worker ID: %d Iterations: %d Time: %.2f Name: %s%n", worker,
          Math.min(cursor.epoch(), config.maxEpochs()),
          (position.sliceEndMillis() - jobs.createdMillis(job)) / 1000.0, host);
    }
    return new SliceOutcome(finished ? Status.FINISHED : Status.CONTINUE, position);
  }

  private WorkerPosition savedPosition() {
    var fields = jobs.worker(job, worker);
    return fields.isEmpty() ? WorkerPosition.initial(config.seed() * 0x9E3779B97F4A7C15L + worker)
        : WorkerPosition.fromMap(fields);
  }

  /**
   * The worker's duties after each push: when it is this worker's turn (an expiring lock shared by all), score
   * the global parameters on the evaluation part and raise the stop flag at the target; and report whether the
   * job was stopped. Runs on whichever thread pushes; it allocates its buffers on first use.
   */
  private final class GlobalEvaluation {
    private final NetworkShape shape;
    private final LabeledImages images;
    private Evaluator evaluator;
    private ParameterVector global;
    private float[] transfer;

    GlobalEvaluation(NetworkShape shape, LabeledImages images) {
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
          .put("loss", e.meanLoss())
          .put("updates", store.updates() / store.shards())
          .put("worker", worker);
      jobs.addEvaluation(job, record.toString());
      jobs.offerBest(job, e.accuracy(), global.toBytes());
      if (config.targetAccuracy() > 0 && e.accuracy() >= config.targetAccuracy()) {
        jobs.requestStop(job, JSON.createObjectNode().put("reason", "target").put("seconds", seconds)
            .put("accuracy", e.accuracy()).toString());
      }
    }
  }
}
