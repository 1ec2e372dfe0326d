package dev.emnistfaas.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emnistfaas.data.EmnistFormatException;
import dev.emnistfaas.data.EmnistSplit;
import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.nn.ModelFile;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.ps.JobStore;
import dev.emnistfaas.ps.LittleEndianFloats;
import dev.emnistfaas.ps.ParameterStore;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.ps.AveragingRounds;
import dev.emnistfaas.ps.UpdateRule;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Locale;
import java.util.UUID;

/** Creating Downpour jobs in the store and reporting their status: what emnist-setup does. */
public final class DownpourJobs {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How much later than a worker's unbegun call another call must have been signed to prove the first was
   * delivered: the time between signing and queuing, and the skew between the pods' clocks.
   */
  static final Duration QUEUE_ORDER_MARGIN = Duration.ofMillis(500);
  /** How long ago that later call must have begun: a delivered call begins within milliseconds unless refused. */
  static final Duration BEGIN_GRACE = Duration.ofSeconds(1);
  /**
   * How long after its job stopped a worker may show no sign of life before its call counts as lost: the other
   * workers finish at their next push, so the queue empties within a moment, and no later call may come to prove
   * the loss (a call lost just before the target).
   */
  static final Duration STOPPED_QUIET = Duration.ofSeconds(3);

  private final RedisConnection redis;
  private final String prefix;
  private final Duration ttl;
  private final JobStore jobs;
  private final PrintStream log;

  public DownpourJobs(RedisConnection redis, String prefix, Duration ttl) {
    this(redis, prefix, ttl, System.err);
  }

  /** Jobs whose recoveries (a lost call queued again) are logged to {@code log}. */
  public DownpourJobs(RedisConnection redis, String prefix, Duration ttl, PrintStream log) {
    this.redis = redis;
    this.prefix = prefix;
    this.ttl = ttl;
    this.jobs = new JobStore(redis, prefix, ttl);
    this.log = log;
  }

  /**
   * Records that slice {@code slice} of {@code worker} is being queued, signed at {@code signedMillis}: before the
   * call goes to the gateway, so that the pod's {@link #callBegun} always comes after it.
   */
  public void callQueued(String job, int worker, int slice, long signedMillis) {
    jobs.saveCall(job, worker, new WorkerCall(slice, signedMillis, 0).toJson(), signedMillis);
  }

  /** Records that a pod began the call of slice {@code slice} of {@code worker} signed at {@code signedMillis}. */
  public void callBegun(String job, int worker, int slice, long signedMillis) {
    jobs.saveCall(job, worker, new WorkerCall(slice, signedMillis, System.currentTimeMillis()).toJson(),
        signedMillis);
  }

  public JobStore jobStore() {
    return jobs;
  }

  public ParameterStore parameters(String job) {
    return ParameterStore.open(redis, prefix, job);
  }

  /**
   * Problems that make {@code config} unusable for a Downpour job, each naming its field; checked before
   * anything is written.
   */
  public static List<String> problems(TrainingConfig config) {
    List<String> p = new ArrayList<>(config.problems());
    if (!config.optimizer().equalsIgnoreCase("sgd") && !config.optimizer().equalsIgnoreCase("adagrad")) {
      p.add("optimizer: the parameter store applies sgd or adagrad (Downpour's pushes, or averaging's round "
          + "means), got '" + config.optimizer() + "'");
    }
    return p;
  }

  /** {@code config} with the settings that depend on the store made explicit: shards 0 becomes one per master. */
  public TrainingConfig resolved(TrainingConfig config) {
    return config.shards() != 0 ? config : config.with(Map.of("shards", redis.masters()));
  }

  /** How many parameters a job of {@code config} trains (its network on the data's classes). */
  public long parameters(TrainingConfig config) {
    return config.networkFor(labelMapping(config).classes()).size();
  }

  /**
   * How many of the newest jobs are running (not stopping, done or failed); jobs older than the newest
   * {@value #RUNNING_SCAN} are not looked at.
   */
  public int runningJobs() {
    int running = 0;
    for (JsonNode job : list(RUNNING_SCAN)) {
      if (job.path("state").asText().equals(JobState.RUNNING.name().toLowerCase(Locale.ROOT))) {
        running++;
      }
    }
    return running;
  }

  private static final int RUNNING_SCAN = 200;

  /**
   * Looks after every unfinished job (running or stopping) among the newest {@value #RUNNING_SCAN}: re-invokes its
   * workers whose call was lost or that stalled ({@link #recoverStalled}). emnist-setup runs this every few
   * seconds, so that a broken chain is found whether or not anybody asks for a status. Returns the workers
   * re-invoked.
   */
  public int recoverUnfinished(SliceInvoker invoker) {
    int recovered = 0;
    for (JsonNode job : list(RUNNING_SCAN)) {
      String state = job.path("state").asText();
      if (state.equals(JobState.RUNNING.name().toLowerCase(Locale.ROOT))
          || state.equals(JobState.STOPPING.name().toLowerCase(Locale.ROOT))) {
        try {
          recovered += recoverStalled(job.path("job").asText(), invoker);
        } catch (StoreException.NoSuchJob e) {
          // expired since the list was read: nothing to look after
        }
      }
    }
    return recovered;
  }

  /**
   * Writes the initial parameters and the config ({@link #resolved}); returns the new job's id. The config must
   * be problem-free.
   */
  public String create(TrainingConfig requested) {
    TrainingConfig config = resolved(requested);
    List<String> p = problems(config);
    if (!p.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", p));
    }
    int classes = labelMapping(config).classes();
    Network shape = config.networkFor(classes);
    String job = UUID.randomUUID().toString().substring(0, 8);
    UpdateRule rule = new UpdateRule(UpdateRule.Kind.parse(config.optimizer().toUpperCase(Locale.ROOT)),
        (float) config.learningRate());
    ParameterStore store = ParameterStore.create(redis, prefix, job,
        ParameterVector.initial(shape, config.seed()).toArray(), config.shards(), rule, config.pushFormat(), ttl);
    if (config.trainingAlgorithm() == Algorithm.AVERAGE) {
      store.rounds().open();
    }
    if (!jobs.create(job, config.toJson(), System.currentTimeMillis())) {
      throw new IllegalStateException("job id " + job + " is taken");
    }
    return job;
  }

  /** A job's best evaluated model and the accuracy it scored on the evaluation part. */
  public record EvaluatedModel(ModelFile model, double accuracy) {}

  /**
   * The job's best evaluated model (what {@code model.bin} of a local run holds), with the characters of its
   * data's label mapping; empty before its first evaluation; "no such job" when its keys are gone.
   */
  public Optional<EvaluatedModel> bestModel(String job) {
    TrainingConfig config = configOf(jobs, job);
    Optional<JobStore.BestModel> best = jobs.bestModel(job);
    if (best.isEmpty()) {
      return Optional.empty();
    }
    LabelMapping mapping = labelMapping(config);
    Network shape = config.networkFor(mapping.classes());
    float[] parameters = new float[shape.size()];
    if (best.get().parameters().length != 4 * parameters.length) {
      throw new IllegalStateException("job " + job + ": its best parameters have " + best.get().parameters().length
          + " bytes, network " + shape + " needs " + 4 * parameters.length);
    }
    LittleEndianFloats.decode(best.get().parameters(), parameters, 0, parameters.length);
    return Optional.of(new EvaluatedModel(new ModelFile(shape, mapping.firstCodes(), parameters),
        best.get().accuracy()));
  }

  /** The accuracy of the job's best model so far (one small read: has it changed?); empty before any. */
  public Optional<Double> bestAccuracy(String job) {
    return jobs.bestAccuracy(job);
  }

  /** The label mapping of the config's data: only the small mapping file is read. */
  private static LabelMapping labelMapping(TrainingConfig config) {
    Path dir = Path.of(config.dataDir());
    if (!java.nio.file.Files.isDirectory(dir)) {
      throw new EmnistFormatException(dir, "data directory not found");
    }
    EmnistSplit split = config.split().isEmpty()
        ? EmnistSplit.presentIn(dir).stream().findFirst().orElseThrow(
            () -> new EmnistFormatException(dir, "no EMNIST files"))
        : EmnistSplit.parse(config.split());
    return LabelMapping.read(dir.resolve(split.mappingFile()));
  }

  /** The config a job was created with; "no such job" when its keys are gone. */
  static TrainingConfig configOf(JobStore jobs, String job) {
    return TrainingConfig.fromJson(jobs.config(job).orElseThrow(() -> new StoreException.NoSuchJob(job)));
  }

  /** A call to start slice {@code slice} of {@code worker}: how the caller reaches emnist-train. */
  @FunctionalInterface
  public interface SliceInvoker {
    void invoke(String job, int worker, int slice);
  }

  /**
   * Re-invokes every worker that is neither done nor running (no lease) and has shown no sign of life for
   * longer than a queued slice could wait: its call was lost. Status requests and every worker's slice end call
   * this, as a backstop: a pod killed mid-slice is normally handled sooner, by the callback of its failed call
   * (see emnist-setup). After a stop the re-invoked worker only sees the flag and records itself done. Returns
   * how many workers were re-invoked.
   */
  public int recoverStalled(String job, SliceInvoker invoker) {
    return recoverStalled(job, Records.read(jobs, job), invoker);
  }

  /**
   * What a status request does: re-invokes stalled workers (see {@link #recoverStalled}) and reports the status
   * (see {@link #status}), reading the job's records once for both.
   */
  public ObjectNode recoverAndReport(String job, SliceInvoker invoker) {
    Records records = Records.read(jobs, job);
    recoverStalled(job, records, invoker);
    return status(job, records);
  }

  /**
   * One worker as the store has it: its saved position (none before its first slice), its live report, and
   * whether a call holds its lease (a slice is running or about to).
   */
  private record WorkerView(Optional<WorkerPosition> saved, Optional<LiveProgress> live, boolean leased,
      Optional<WorkerCall> call) {
    /** When the worker last showed a sign of life, or {@code fallback} if never. */
    long lastActivityMillis(long fallback) {
      long t = fallback;
      if (saved.isPresent()) {
        t = Math.max(t, Math.max(saved.get().sliceStartMillis(), saved.get().sliceEndMillis()));
      }
      return live.isPresent() ? Math.max(t, live.get().millis()) : t;
    }

    boolean done() {
      return saved.isPresent() && saved.get().done();
    }

    /** The live report, when it is newer than the saved position (a slice is running). */
    Optional<LiveProgress> running() {
      return live.filter(l -> !done() && l.slice() > saved.map(WorkerPosition::slices).orElse(0));
    }

    /**
     * What the worker is doing, for the status: "training", "warm-start" (its slice waits for worker 0 to train the
     * warm start alone), "queued" (its next slice is queued, the first one included) or "done".
     */
    String activity() {
      if (done()) {
        return "done";
      }
      return running().map(l -> l.phase() == LiveProgress.Phase.WARM_START ? "warm-start" : "training")
          .orElse("queued");
    }
  }

  /** A job's config, creation time and workers, read once for one request. */
  private record Records(TrainingConfig config, long created, List<WorkerView> workers, Optional<JobStop> stop) {
    static Records read(JobStore jobs, String job) {
      TrainingConfig config = configOf(jobs, job);
      List<WorkerView> workers = new ArrayList<>(config.workers());
      for (JobStore.WorkerRecords r : jobs.workers(job, config.workers())) {
        workers.add(new WorkerView(r.saved().map(WorkerPosition::fromJson), r.live().map(LiveProgress::fromJson),
            r.leased(), r.call().map(WorkerCall::fromJson)));
      }
      return new Records(config, jobs.createdMillis(job), workers, jobs.stopReason(job).map(JobStop::fromJson));
    }

    /** When the job's stop flag went up (epoch millis), if it did. */
    Optional<Long> stoppedMillis() {
      return stop.map(s -> created + (long) (s.seconds() * 1000));
    }
  }

  private int recoverStalled(String job, Records records, SliceInvoker invoker) {
    long now = System.currentTimeMillis();
    Duration quiet = stallThreshold(records.config());
    int recovered = 0;
    for (int w = 0; w < records.config().workers(); w++) {
      WorkerView view = records.workers().get(w);
      if (view.done() || jobs.leaseMillisLeft(job, w) > 0) {
        continue;
      }
      int next = view.saved().map(WorkerPosition::slices).orElse(0) + 1;
      Optional<WorkerCall> overtaken = overtaken(view.call(), records, w, now);
      Optional<WorkerCall> unfinished = overtaken.isPresent() ? Optional.empty()
          : quietSinceTheStop(view, records, now);
      if (overtaken.isPresent() || unfinished.isPresent()) {
        WorkerCall lost = overtaken.or(() -> unfinished).get();
        if (jobs.claimOnce(job, "lost:" + w + ":" + lost.signedMillis(), quiet)) {
          jobs.countOnce(job, JobStore.Counter.LOST_CALLS, w + ":" + lost.signedMillis());
          log.printf("emnist: job %s: the call of slice %d of worker %d, queued %.1f s ago, never began %s: lost "
              + "(a busy pod's 429 whose callback did not arrive); slice %d queued again%n", job, lost.slice(), w,
              (now - lost.signedMillis()) / 1000.0, overtaken.isPresent() ? "while a call queued after it did"
              : "and the job stopped " + (now - records.stoppedMillis().orElseThrow()) / 1000 + " s ago", next);
          invoker.invoke(job, w, next);
          recovered++;
        }
      } else if (now - view.lastActivityMillis(records.created()) > quiet.toMillis()
          && jobs.claimOnce(job, "recover:" + w + ":" + next, quiet)) {
        jobs.countOnce(job, JobStore.Counter.RECOVERED, w + ":" + next);
        log.printf("emnist: job %s: worker %d showed no sign of life for %d s; slice %d queued again%n", job, w,
            quiet.toSeconds(), next);
        invoker.invoke(job, w, next);
        recovered++;
      }
    }
    return recovered;
  }

  /**
   * Worker {@code w}'s newest call when its job stopped {@link #STOPPED_QUIET} ago or more, it has not begun, and
   * the worker has shown no other sign of life meanwhile: the others have finished, so nothing may prove the loss,
   * and a worker that is only waiting to see the stop is cheap to call again.
   */
  private static Optional<WorkerCall> quietSinceTheStop(WorkerView view, Records records, long now) {
    Optional<Long> stopped = records.stoppedMillis();
    if (stopped.isEmpty() || view.call().isEmpty() || view.call().get().begun()) {
      return Optional.empty();
    }
    long quietSince = Math.max(Math.max(stopped.get(), view.call().get().signedMillis()),
        view.lastActivityMillis(records.created()));
    return now - quietSince > STOPPED_QUIET.toMillis() ? view.call() : Optional.empty();
  }

  /**
   * Worker {@code w}'s newest call when it was lost: it has not begun, while another worker's call signed well
   * after it (by {@link #QUEUE_ORDER_MARGIN}) began a while ago ({@link #BEGIN_GRACE}). The queue hands calls out
   * in the order they were queued, so the first was delivered before the second, and a delivered call that did not
   * begin was refused (a busy pod's 429); had its callback arrived, emnist-setup would have queued it again.
   */
  private static Optional<WorkerCall> overtaken(Optional<WorkerCall> call, Records records, int w, long now) {
    if (call.isEmpty() || call.get().begun()) {
      return Optional.empty();
    }
    long signed = call.get().signedMillis();
    for (int v = 0; v < records.workers().size(); v++) {
      Optional<WorkerCall> other = records.workers().get(v).call();
      if (v != w && other.isPresent() && other.get().begun()
          && other.get().signedMillis() > signed + QUEUE_ORDER_MARGIN.toMillis()
          && now - other.get().begunMillis() > BEGIN_GRACE.toMillis()) {
        return call;
      }
    }
    return Optional.empty();
  }

  /**
   * What to queue again after the platform failed a call of slice {@code slice} of {@code worker} (429 from a
   * busy pod, 5xx): the worker's next slice that has not run (the failed one, or its successor when the failed
   * call ran it but could not queue the next), or nothing when the worker is done or has run slices after it (the
   * chain went on without the failed call: it was a duplicate, or a callback sent again). The slice is queued even
   * while the worker's lease is held: the holder may be a call that just died (measured on the real components:
   * a killed pod's 502, queued again, met a busy pod, and dropping that 429 because of the dead call's lease lost
   * the worker until the stall threshold). A duplicate costs little: it finds the live holder and stops.
   */
  public Optional<Integer> sliceToRequeue(String job, int worker, int slice) {
    TrainingConfig config = configOf(jobs, job);
    if (worker < 0 || worker >= config.workers() || slice < 1) {
      throw new IllegalArgumentException("job " + job + " has workers 0.." + (config.workers() - 1)
          + " and slices from 1; got worker " + worker + ", slice " + slice);
    }
    Optional<WorkerPosition> saved = jobs.worker(job, worker).map(WorkerPosition::fromJson);
    int ran = saved.map(WorkerPosition::slices).orElse(0);
    if (saved.isPresent() && saved.get().done() || slice < ran) {
      return Optional.empty();
    }
    return Optional.of(Math.max(slice, ran + 1));
  }

  /**
   * How long a worker may show no sign of life before it counts as stalled: longer than its next slice can
   * wait in a queue behind the other workers' slices on one queue worker, and never under 10 s.
   */
  static Duration stallThreshold(TrainingConfig config) {
    return Duration.ofMillis(Math.max(10_000, (long) (2000 * config.sliceSeconds() * config.workers())));
  }

  /**
   * The newest jobs in the store, newest first: id, creation time, state, workers done, network, best accuracy
   * against the target, and how it stopped ("target", "cancelled", "failed", or "" while it runs) with the seconds to
   * the target.
   */
  public ArrayNode list(int max) {
    ArrayNode out = JSON.createArrayNode();
    for (String job : jobs.recentJobs(max)) {
      try {
        Records r = Records.read(jobs, job);
        int done = (int) r.workers().stream().filter(WorkerView::done).count();
        Optional<JobStop> stop = r.stop();
        JobState state = stateOf(stop, r.workers());
        ObjectNode n = out.addObject().put("job", job)
            .put("created", java.time.Instant.ofEpochMilli(r.created()).toString())
            .put("state", state.name().toLowerCase(Locale.ROOT)).put("workers", r.config().workers())
            .put("workersDone", done).put("network", r.config().networkName())
            .put("bestAccuracy", jobs.bestAccuracy(job).orElse(0.0))
            .put("targetAccuracy", r.config().targetAccuracy())
            .put("outcome", stop.map(s -> s.reason().name().toLowerCase(Locale.ROOT)).orElse(""));
        stop.filter(s -> s.reason() == JobStop.Reason.TARGET).ifPresent(s -> n.put("secondsToTarget", s.seconds()));
      } catch (StoreException.NoSuchJob e) {
        // expired between the index and the read: not a job any more
      }
    }
    return out;
  }

  /** Stops every worker at its next push and shortens the life of the job's keys to {@code keep}. */
  public void cancel(String job, Duration keep) {
    TrainingConfig config = configOf(jobs, job);
    jobs.requestStop(job, JobStop.cancelled((System.currentTimeMillis() - jobs.createdMillis(job)) / 1000.0).toJson());
    jobs.expireIn(job, config.workers(), keep);
    parameters(job).expireIn(keep);
  }

  /** The job's status as JSON: per-worker figures, evaluations, whether it is done and how long it took. */
  public ObjectNode status(String job) {
    return status(job, Records.read(jobs, job));
  }

  private ObjectNode status(String job, Records records) {
    TrainingConfig config = records.config();
    ObjectNode out = JSON.createObjectNode();
    out.put("job", job);
    out.set("config", JSON.valueToTree(config));
    long created = records.created();
    ArrayNode workers = out.putArray("workers");
    int done = 0;
    int workersWithASlice = 0;
    for (int w = 0; w < config.workers(); w++) {
      WorkerView view = records.workers().get(w);
      ObjectNode n = workers.addObject().put("worker", w);
      Optional<LiveProgress> live = view.running();
      if (view.saved().isEmpty()) {
        n.put("state", view.activity());
        live.ifPresent(l -> n.put("epochs", l.epochs()).put("samples", l.samples())
            .put("samplesPerSecond", l.samplesPerSecond()));
        continue;
      }
      WorkerPosition pos = view.saved().get();
      done += pos.done() ? 1 : 0;
      workersWithASlice += pos.slices() > 0 ? 1 : 0;
      double trainingSeconds = pos.computeSeconds() - pos.warmStartSeconds();
      n.put("state", view.activity()).put("epoch", pos.epoch())
          .put("cursor", pos.cursor()).put("steps", pos.steps())
          .put("samples", pos.samples()).put("slices", pos.slices()).put("pushes", pos.pushes())
          .put("samplesPerSecond", live.map(LiveProgress::samplesPerSecond).orElse(pos.samplesPerSecond()))
          .put("computeSeconds", pos.computeSeconds()).put("waitSeconds", pos.waitSeconds())
          .put("warmStartSeconds", pos.warmStartSeconds())
          .put("epochs", live.map(LiveProgress::epochs).orElse(pos.epochs()))
          .put("shardSize", pos.shardSize())
          .put("finishedSeconds", pos.done() ? (pos.sliceEndMillis() - created) / 1000.0 : 0)
          .put("waitFraction", trainingSeconds > 0 ? pos.waitSeconds() / trainingSeconds : 0)
          .put("host", live.map(LiveProgress::host).orElse(pos.host()));
    }
    ArrayNode evals = out.putArray("evaluations");
    double best = 0;
    double bestBalanced = 0;
    for (String e : jobs.evaluations(job)) {
      JsonNode node = read(e);
      evals.add(node);
      best = Math.max(best, node.path("accuracy").asDouble());
      bestBalanced = Math.max(bestBalanced, node.path("balancedAccuracy").asDouble());
    }
    ArrayNode rates = out.putArray("rates");
    for (String r : jobs.rates(job)) {
      rates.add(JSON.valueToTree(SliceRate.fromJson(r)));
    }
    out.put("bestAccuracy", best);
    out.put("bestBalancedAccuracy", bestBalanced);
    out.put("targetAccuracy", config.targetAccuracy());
    out.put("network", config.networkName());
    out.put("algorithm", config.algorithm());
    if (config.trainingAlgorithm() == Algorithm.AVERAGE) {
      // The open round (from 1), and the contributions every closed or open round accepted (each worker's once).
      AveragingRounds rounds = parameters(job).rounds();
      out.put("round", rounds.state().numbers()[0]).put("contributions", rounds.accepted());
    }
    Optional<JobStop> stop = records.stop();
    stop.ifPresent(r -> out.set("stop", JSON.valueToTree(r)));
    stop.filter(r -> r.reason() == JobStop.Reason.TARGET).ifPresent(r -> out.put("secondsToTarget", r.seconds()));
    boolean failed = stop.filter(r -> r.reason() == JobStop.Reason.FAILED).isPresent();
    out.put("cancelled", stop.filter(r -> r.reason() == JobStop.Reason.CANCELLED).isPresent());
    stop.filter(r -> r.reason() == JobStop.Reason.FAILED).ifPresent(r -> out.put("failed", true).put("error",
        r.error()));
    out.put("reenqueuedSlices", jobs.count(job, JobStore.Counter.REENQUEUED));
    out.put("recoveredWorkers", jobs.count(job, JobStore.Counter.RECOVERED));
    out.put("lostCalls", jobs.count(job, JobStore.Counter.LOST_CALLS));
    out.put("duplicateCalls", jobs.count(job, JobStore.Counter.DUPLICATES));
    out.put("reached", out.has("secondsToTarget"));
    JobState state = stateOf(stop, records.workers());
    out.put("state", state.name().toLowerCase(Locale.ROOT));
    out.put("done", state == JobState.DONE || state == JobState.FAILED);
    out.put("workersDone", done);
    boolean overlapped = jobs.slicesOverlapped(job);
    out.put("slicesOverlapped", overlapped);
    // The workers' first slices are queued together: once every worker has run one and none overlapped another,
    // the platform runs them one after another.
    if (config.workers() > 1 && !overlapped && workersWithASlice == config.workers()) {
      out.put("warning", "the workers' slices never overlapped in time: the cluster runs them one after another "
          + "(give the queue-worker at least " + config.workers() + " replicas and the function as many pods)");
    }
    return out;
  }

  /**
   * A job's state from its stop record and its workers. A cancelled job is done once no call holds a worker's
   * lease: a slice still queued (or waiting for its pod to warm up) would only see the stop and end, and whoever
   * cancelled should not wait for it.
   */
  private static JobState stateOf(Optional<JobStop> stop, List<WorkerView> workers) {
    if (stop.filter(s -> s.reason() == JobStop.Reason.FAILED).isPresent()) {
      return JobState.FAILED;
    }
    boolean allDone = workers.stream().allMatch(WorkerView::done);
    boolean cancelledAndIdle = stop.filter(s -> s.reason() == JobStop.Reason.CANCELLED).isPresent()
        && workers.stream().noneMatch(WorkerView::leased);
    return allDone || cancelledAndIdle ? JobState.DONE : stop.isPresent() ? JobState.STOPPING : JobState.RUNNING;
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("corrupt record in the store: " + json, e);
    }
  }
}
