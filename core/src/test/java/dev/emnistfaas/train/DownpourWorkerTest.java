package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emnistfaas.RealData;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.RedisSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import dev.emnistfaas.ps.JobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Downpour workers on the real bymerge data and a real (embedded) Redis, without HTTP in between. */
class DownpourWorkerTest {
  private static EmbeddedRedis server;
  private static RedisConnection redis;
  private static DownpourJobs jobs;

  @BeforeAll
  static void start() {
    server = EmbeddedRedis.start();
    redis = RedisConnection.open(RedisSettings.local(server.url()), RedisConnection.Backoff.DEFAULT);
    jobs = new DownpourJobs(redis, "emnist", Duration.ofHours(1));
    RealData.dataset();
  }

  @AfterAll
  static void stop() {
    redis.close();
    server.close();
  }

  private static DownpourWorker worker(String job, int w, PrintStream log) {
    return new DownpourWorker(jobs.parameters(job), jobs.jobStore(), job, w, "test-pod-" + w, log);
  }

  @Test
  void twoParallelWorkersReachTheTargetAcrossSlices() throws Exception {
    twoParallelWorkersReachTheTarget(Map.of());
  }

  /** Sparse pushes (1 % of the entries each, the rest kept by the worker) train as far, fetching every 8th step. */
  @Test
  void twoParallelWorkersWithSparsePushesReachTheTargetAcrossSlices() throws Exception {
    JsonNode status = twoParallelWorkersReachTheTarget(Map.of("pushEncoding", "sparse", "nFetch", 8));
    assertEquals("sparse", status.path("config").path("pushEncoding").asText());
  }

  private JsonNode twoParallelWorkersReachTheTarget(Map<String, Object> overrides) throws Exception {
    Map<String, Object> settings = new java.util.HashMap<>(Map.of("workers", 2, "sliceSeconds", 0.7, "nFetch", 4,
        "nPush", 4));
    settings.putAll(overrides);
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString()).with(settings);
    String job = jobs.create(config);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<Integer>> slices = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      final int worker = w;
      slices.add(pool.submit(() -> {
        int n = 0;
        while (!worker(job, worker, out).runSlice().finished()) {
          n++;
        }
        return n + 1;
      }));
    }
    for (Future<Integer> f : slices) {
      assertTrue(f.get() >= 2, "a worker finished within one slice: no slice boundary was crossed");
    }
    pool.shutdown();

    JsonNode status = jobs.status(job);
    assertTrue(status.path("reached").asBoolean(), status.toPrettyString());
    assertTrue(status.path("bestAccuracy").asDouble() >= 0.75, status.toPrettyString());
    assertTrue(status.path("done").asBoolean(), status.toPrettyString());
    assertTrue(status.path("slicesOverlapped").asBoolean(), status.toPrettyString());
    assertFalse(status.has("warning"), status.toPrettyString());
    assertTrue(status.path("secondsToTarget").asDouble() > 0);
    // Every slice that trained left its rate, at the job's second it ended: the page's samples/s chart.
    java.util.Set<Integer> rated = new java.util.HashSet<>();
    for (JsonNode r : status.path("rates")) {
      assertTrue(r.path("seconds").asDouble() > 0 && r.path("samplesPerSecond").asDouble() > 0, r.toString());
      rated.add(r.path("worker").asInt());
    }
    assertEquals(java.util.Set.of(0, 1), rated, status.path("rates").toString());
    for (JsonNode w : status.path("workers")) {
      // Steps and samples agree with the saved cursor: no batch was skipped or repeated at slice boundaries.
      long samples = w.path("samples").asLong();
      int shard = RealData.dataset().train().shard(w.path("worker").asInt(), 2).size();
      assertEquals(samples, (long) (w.path("epoch").asInt() - 1) * shard + w.path("cursor").asInt(),
          w.toPrettyString());
    }
    assertTrue(log.toString().matches("(?s).*Worker ID: 0 Iterations: [1-9][0-9]* Time: [0-9.]+ Name: test-pod-0.*"),
        log.toString());
    return status;
  }

  /**
   * Parameter averaging: two workers in parallel, across slices, reach the target; every contribution the workers
   * saved was accepted once, and the rounds closed with both workers' contributions while both ran.
   */
  @Test
  void twoParallelWorkersAveragingReachTheTarget() throws Exception {
    JsonNode status = twoParallelWorkersReachTheTarget(Map.of("algorithm", "average", "localSteps", 20));
    assertEquals("average", status.path("algorithm").asText());
    assertEquals(0, status.path("config").path("warmStartSamples").asInt(), "the averaging defaults were not applied");
    long saved = 0;
    for (JsonNode w : status.path("workers")) {
      saved += w.path("pushes").asLong();
    }
    assertEquals(saved, status.path("contributions").asLong(), status.toPrettyString());
    long rounds = status.path("round").asLong() - 1;
    assertTrue(rounds > 1, status.toPrettyString());
    // Each closed round had one or two contributions, so there were fewer rounds than contributions: the workers
    // averaged with each other rather than each closing its own rounds.
    assertTrue(rounds < saved, rounds + " rounds for " + saved + " contributions");
  }

  /** One worker at a time (one queue-worker): a round closes with the only running worker, and the job trains. */
  @Test
  void averagingWorkersRunOneAtATimeCloseTheirOwnRounds() {
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .withJson("{\"algorithm\": \"average\", \"workers\": 2, \"sliceSeconds\": 0.5, \"roundSeconds\": 600}");
    String job = jobs.create(config);
    runSlicesOneAtATime(job);
    JsonNode status = jobs.status(job);
    // Had a round waited for the worker that was not running, it would have waited its 600 s.
    assertTrue(status.path("reached").asBoolean(), status.toPrettyString());
    assertEquals(status.path("round").asLong() - 1, status.path("contributions").asLong(), status.toPrettyString());
  }

  /**
   * A single CE queue-worker: slice after slice, the two workers' calls interleaved, never at once, until both are
   * done (or 200 slices ran).
   */
  private static void runSlicesOneAtATime(String job) {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    boolean[] finished = new boolean[2];
    int slices = 0;
    while (!(finished[0] && finished[1]) && slices < 200) {
      for (int w = 0; w < 2; w++) {
        if (!finished[w]) {
          finished[w] = worker(job, w, quiet).runSlice().finished();
          slices++;
        }
      }
    }
  }

  @Test
  void slicesRunOneAtATimeStillTrainButTheStatusWarns() {
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 2, "sliceSeconds", 0.5));
    String job = jobs.create(config);
    runSlicesOneAtATime(job);
    JsonNode status = jobs.status(job);
    assertTrue(status.path("reached").asBoolean(), status.toPrettyString());
    assertFalse(status.path("slicesOverlapped").asBoolean());
    assertTrue(status.path("warning").asText().startsWith("the workers' slices never overlapped"),
        status.toPrettyString());
  }

  /** Slice = epoch: one call per pass over the shard, as the predecessor's "one function per iteration". */
  @Test
  void slicesCanEndWithEachEpoch() {
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 3, "maxEpochs", 2, "targetAccuracy", 0.0, "sliceSeconds", 600.0,
            "sliceAtEpochEnd", true));
    String job = jobs.create(config);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    DownpourWorker.SliceOutcome first = worker(job, 2, quiet).runSlice();
    assertFalse(first.finished());
    assertEquals(2, first.position().epoch());
    assertEquals(0, first.position().cursor());
    DownpourWorker.SliceOutcome second = worker(job, 2, quiet).runSlice();
    assertTrue(second.finished());
    assertEquals(2, second.position().slices());
    assertEquals(2L * RealData.dataset().train().shard(2, 3).size(), second.position().samples());
    // A duplicate call after the end trains nothing.
    DownpourWorker.SliceOutcome again = worker(job, 2, quiet).runSlice();
    assertEquals(DownpourWorker.Status.STALE, again.status());
    assertEquals(second.position(), again.position());
  }

  private static WorkerPosition savedPosition(String job, int worker) {
    return WorkerPosition.fromJson(jobs.jobStore().worker(job, worker).orElseThrow());
  }

  private static TrainingConfig quickJob(double sliceSeconds) {
    return TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 2, "sliceSeconds", sliceSeconds, "targetAccuracy", 0.0));
  }

  /** Holds worker {@code w}'s lease under {@code token} and renews it, as a live call on another pod would. */
  private static ScheduledExecutorService liveHolder(String job, int w, String token) {
    assertTrue(jobs.jobStore().acquireLease(job, w, token, WorkerLease.DURATION));
    ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor();
    renewer.scheduleAtFixedRate(() -> jobs.jobStore().renewLease(job, w, token, WorkerLease.DURATION), 200, 200,
        TimeUnit.MILLISECONDS);
    return renewer;
  }

  /**
   * A worker waiting for worker 0's warm start says so (status "warm-start", its slice's log line, and the seconds
   * in its record), apart from training and from waiting on Redis; one that waited out its slice trained nothing.
   */
  @Test
  void theWarmStartsWaitIsToldApartFromTrainingAndFromRedis() throws Exception {
    String job = jobs.create(TrainingConfig.downpourDefaults(RealData.dir().toString()).with(Map.of("workers", 2,
        "sliceSeconds", 1.5, "targetAccuracy", 0.0, "warmStartSamples", 1_000_000)));
    ScheduledExecutorService zero = liveHolder(job, 0, "worker-0-elsewhere"); // worker 0 "trains" on another pod
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<DownpourWorker.SliceOutcome> slice = pool.submit(
          () -> worker(job, 1, new PrintStream(log, true)).runSlice(1));
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!jobs.status(job).path("workers").get(1).path("state").asText().equals("warm-start")) {
        assertTrue(System.nanoTime() < deadline, "worker 1 never said it waits: " + jobs.status(job));
        Thread.sleep(20);
      }
      assertEquals(DownpourWorker.Status.CONTINUE, slice.get().status());
    } finally {
      pool.shutdown();
      zero.shutdownNow();
    }
    JsonNode w1 = jobs.status(job).path("workers").get(1);
    assertEquals(0, w1.path("samples").asLong(), w1.toString());
    assertTrue(w1.path("warmStartSeconds").asDouble() >= 1.0, w1.toString());
    // Disjoint parts of the slice's time: the warm start is not counted as waiting on Redis.
    assertTrue(w1.path("waitSeconds").asDouble() + w1.path("warmStartSeconds").asDouble()
        <= w1.path("computeSeconds").asDouble(), w1.toString());
    assertEquals("queued", w1.path("state").asText());
    assertTrue(log.toString().matches("(?s).*worker 1 slice 1: prepared in \\d+ ms, lease in \\d+ ms, waited "
        + "\\d+\\.\\d\\d s for worker 0's warm start, trained \\d+\\.\\d\\d s \\(0 samples/s.*"), log.toString());
  }

  @Test
  void duplicateAndRedeliveredCallsTrainNothing() {
    String job = jobs.create(quickJob(0.2));
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    DownpourWorker.SliceOutcome first = worker(job, 0, quiet).runSlice(1);
    assertEquals(DownpourWorker.Status.CONTINUE, first.status());
    long updates = jobs.parameters(job).updates();
    // Slice 1 delivered again after it ran: stale, no push.
    DownpourWorker.SliceOutcome redelivered = worker(job, 0, quiet).runSlice(1);
    assertEquals(DownpourWorker.Status.STALE, redelivered.status());
    assertEquals(updates, jobs.parameters(job).updates());
    // A copy arriving while another live call of the worker holds and renews the lease: busy, no push.
    ScheduledExecutorService holder = liveHolder(job, 0, "other-call");
    try {
      DownpourWorker.SliceOutcome duplicate = worker(job, 0, quiet).runSlice(2);
      assertEquals(DownpourWorker.Status.BUSY, duplicate.status());
      assertEquals(updates, jobs.parameters(job).updates());
    } finally {
      holder.shutdownNow();
    }
    jobs.jobStore().releaseLease(job, 0, "other-call");
    assertEquals(DownpourWorker.Status.CONTINUE, worker(job, 0, quiet).runSlice(2).status());
    assertEquals(2, savedPosition(job, 0).slices());
    assertEquals(2, jobs.status(job).path("duplicateCalls").asLong());
  }

  /** A pod killed mid-slice leaves its lease behind: the next call waits for it to expire, then trains. */
  @Test
  void aCallWhoseLeaseHolderDiedTakesOverOnceTheLeaseExpires() {
    String job = jobs.create(quickJob(0.2));
    assertTrue(jobs.jobStore().acquireLease(job, 1, "killed-call", WorkerLease.DURATION));
    DownpourWorker.SliceOutcome outcome = worker(job, 1, new PrintStream(new ByteArrayOutputStream())).runSlice(1);
    assertEquals(DownpourWorker.Status.CONTINUE, outcome.status());
    assertEquals(1, savedPosition(job, 1).slices());
  }

  /** A slice that dies by an exception releases its lease, so its redelivery trains at once. */
  @Test
  void aSliceThatDiesLeavesNoLeaseBehind() throws Exception {
    String job = jobs.create(quickJob(60));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<DownpourWorker.SliceOutcome> running = pool.submit(
        () -> worker(job, 0, new PrintStream(new ByteArrayOutputStream())).runSlice(1));
    awaitLiveProgress(job, 0);
    pool.shutdownNow(); // interrupts the slice
    ExecutionException e = assertThrows(ExecutionException.class, () -> running.get(60, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof DownpourWorker.SliceAbandoned, e.toString());
    assertTrue(jobs.jobStore().leaseMillisLeft(job, 0) < 0, "the dead slice left its lease behind");
    assertTrue(jobs.jobStore().worker(job, 0).isEmpty(), "the dead slice saved a position");
    jobs.cancel(job, Duration.ofMinutes(5));
    assertEquals(DownpourWorker.Status.FINISHED,
        worker(job, 0, new PrintStream(new ByteArrayOutputStream())).runSlice(1).status());
  }

  /** A slice whose lease was taken by another call stops without saving: the worker never moves back. */
  @Test
  void aSliceThatLostItsLeaseCannotSave() throws Exception {
    String job = jobs.create(quickJob(60));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<DownpourWorker.SliceOutcome> running = pool.submit(
        () -> worker(job, 0, new PrintStream(new ByteArrayOutputStream())).runSlice(1));
    awaitLiveProgress(job, 0);
    redis.call(j -> j.set("emnist:{" + job + "}:lease:0", "a-call-that-took-over"));
    ExecutionException e = assertThrows(ExecutionException.class, () -> running.get(60, TimeUnit.SECONDS));
    pool.shutdown();
    assertTrue(e.getCause() instanceof DownpourWorker.SliceAbandoned, e.toString());
    assertTrue(e.getCause().getMessage().contains("lost its lease"), e.getCause().getMessage());
    assertTrue(jobs.jobStore().worker(job, 0).isEmpty(), "a slice without its lease saved a position");
  }

  /**
   * What a failed call's callback queues again: the worker's next unrun slice, also while a lease is held (its
   * holder may be the call that just died), and nothing once the worker is done.
   */
  @Test
  void aFailedCallQueuesTheWorkersNextUnrunSlice() {
    String job = jobs.create(quickJob(0.2));
    assertTrue(jobs.jobStore().acquireLease(job, 0, "killed-call", WorkerLease.DURATION));
    assertEquals(Optional.of(1), jobs.sliceToRequeue(job, 0, 1));
    jobs.jobStore().releaseLease(job, 0, "killed-call");
    worker(job, 0, new PrintStream(new ByteArrayOutputStream())).runSlice(1);
    // Slice 1 ran but its call failed before it queued slice 2: slice 2 is what is missing.
    assertEquals(Optional.of(2), jobs.sliceToRequeue(job, 0, 1));
    jobs.cancel(job, Duration.ofMinutes(5));
    worker(job, 0, new PrintStream(new ByteArrayOutputStream())).runSlice(2);
    assertEquals(Optional.empty(), jobs.sliceToRequeue(job, 0, 2));
  }

  /**
   * A slice on a fresh pod loads its data before it takes the worker's lease: loading takes seconds there, and a
   * lease taken first expired during it (measured on the real components: every first slice lost its lease).
   */
  @Test
  void theLeaseIsTakenOnlyOnceTheDataIsLoaded() throws Exception {
    // An evaluation fraction no other test uses: a data source this JVM has not loaded yet.
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 2, "sliceSeconds", 0.2, "targetAccuracy", 0.0, "evalFraction", 0.137));
    assertFalse(DatasetCache.isLoaded(config.dataSource()));
    String job = jobs.create(config);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<DownpourWorker.SliceOutcome> slice = pool.submit(
        () -> worker(job, 0, new PrintStream(new ByteArrayOutputStream())).runSlice(1));
    while (jobs.jobStore().leaseMillisLeft(job, 0) <= 0 && !slice.isDone()) {
      Thread.onSpinWait();
    }
    assertTrue(DatasetCache.isLoaded(config.dataSource()), "the lease was taken before the data was loaded");
    assertEquals(DownpourWorker.Status.CONTINUE, slice.get(120, TimeUnit.SECONDS).status());
    pool.shutdown();
  }

  @Test
  void aFencedSaveNeedsTheLeaseAndTheRecordItStartedFrom() {
    String job = jobs.create(quickJob(0.2));
    JobStore store = jobs.jobStore();
    assertTrue(store.acquireLease(job, 0, "mine", WorkerLease.DURATION));
    assertEquals(JobStore.SaveResult.LEASE_LOST, store.saveWorker(job, 0, "not-mine", Optional.empty(), "{\"a\":1}"));
    assertEquals(JobStore.SaveResult.SAVED, store.saveWorker(job, 0, "mine", Optional.empty(), "{\"a\":1}"));
    assertEquals(JobStore.SaveResult.RECORD_CHANGED,
        store.saveWorker(job, 0, "mine", Optional.of("{\"a\":0}"), "{\"a\":2}"));
    assertEquals(JobStore.SaveResult.SAVED, store.saveWorker(job, 0, "mine", Optional.of("{\"a\":1}"), "{\"a\":2}"));
    // Sent twice (a dropped connection): the second send finds its own record in place.
    assertEquals(JobStore.SaveResult.SAVED, store.saveWorker(job, 0, "mine", Optional.of("{\"a\":1}"), "{\"a\":2}"));
    assertEquals("{\"a\":2}", store.worker(job, 0).orElseThrow());
  }

  /** The status before any worker saved a position, while slices run and report live progress: never a 500. */
  @Test
  void statusBeforeTheFirstSaveShowsLiveProgress() {
    String job = jobs.create(quickJob(0.2));
    jobs.jobStore().saveLiveProgress(job, 0, new LiveProgress(LiveProgress.Phase.TRAINING, 1, 0.25, 26_000, 40_000.0,
        System.currentTimeMillis(), "test-pod-0").toJson());
    JsonNode status = jobs.status(job);
    JsonNode w0 = status.path("workers").get(0);
    assertEquals("training", w0.path("state").asText(), w0.toString());
    assertEquals("queued", status.path("workers").get(1).path("state").asText());
    assertEquals(0.25, w0.path("epochs").asDouble(), 1e-9);
    assertEquals(26_000, w0.path("samples").asLong());
    assertFalse(status.path("done").asBoolean());
  }

  /** After the stop flag, a worker's next slice records it done at once, without training. */
  @Test
  void aSliceAfterTheStopRecordsTheWorkerDoneWithoutTraining() {
    String job = jobs.create(quickJob(0.2));
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    worker(job, 1, quiet).runSlice(1);
    long samples = savedPosition(job, 1).samples();
    jobs.cancel(job, Duration.ofMinutes(5));
    DownpourWorker.SliceOutcome next = worker(job, 1, quiet).runSlice(2);
    assertEquals(DownpourWorker.Status.FINISHED, next.status());
    assertEquals(samples, savedPosition(job, 1).samples());
    assertTrue(savedPosition(job, 1).done());
  }

  @Test
  void aPodKeepsTheShardsOfOneWorkerCount() {
    var source = quickJob(1).dataSource();
    DatasetCache.shard(source, 0, 2);
    DatasetCache.shard(source, 1, 2);
    assertEquals(2, DatasetCache.shardsKept(source));
    DatasetCache.shard(source, 0, 5);
    assertEquals(1, DatasetCache.shardsKept(source), "the shards of 2 workers were kept beside those of 5");
  }

  private static void awaitLiveProgress(String job, int worker) throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (redis.call(j -> j.get("emnist:{" + job + "}:live:" + worker)) == null) {
      assertTrue(System.nanoTime() < deadline, "the slice never reported progress");
      Thread.sleep(20);
    }
  }

  @Test
  void downpourRefusesMomentumNamingTheField() {
    TrainingConfig config = TrainingConfig.defaults(RealData.dir().toString());
    assertEquals(List.of("optimizer: the parameter store applies sgd or adagrad (Downpour's pushes, or averaging's round "
        + "means), got 'momentum'"),
        DownpourJobs.problems(config));
  }
}
