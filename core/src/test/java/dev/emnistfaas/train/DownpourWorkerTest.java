package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.Future;
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
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 2, "sliceSeconds", 0.7, "nFetch", 4, "nPush", 4));
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
    for (JsonNode w : status.path("workers")) {
      // Steps and samples agree with the saved cursor: no batch was skipped or repeated at slice boundaries.
      long samples = w.path("samples").asLong();
      int shard = RealData.dataset().train().shard(w.path("worker").asInt(), 2).size();
      assertEquals(samples, (long) (w.path("epoch").asInt() - 1) * shard + w.path("cursor").asInt(),
          w.toPrettyString());
    }
    assertTrue(log.toString().matches("(?s).*Worker ID: 0 Iterations: [1-9][0-9]* Time: [0-9.]+ Name: test-pod-0.*"),
        log.toString());
  }

  @Test
  void slicesRunOneAtATimeStillTrainButTheStatusWarns() {
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 2, "sliceSeconds", 0.5));
    String job = jobs.create(config);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    boolean[] finished = new boolean[2];
    int slices = 0;
    // A single CE queue-worker: slice after slice, the two workers' calls interleaved, never at once.
    while (!(finished[0] && finished[1]) && slices < 200) {
      for (int w = 0; w < 2; w++) {
        if (!finished[w]) {
          finished[w] = worker(job, w, quiet).runSlice().finished();
          slices++;
        }
      }
    }
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

  @Test
  void duplicateAndRedeliveredCallsTrainNothing() {
    TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
        .with(Map.of("workers", 2, "sliceSeconds", 0.2, "targetAccuracy", 0.0));
    String job = jobs.create(config);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    DownpourWorker.SliceOutcome first = worker(job, 0, quiet).runSlice(1);
    assertEquals(DownpourWorker.Status.CONTINUE, first.status());
    long updates = jobs.parameters(job).updates();
    // Slice 1 delivered again after it ran: stale, no push.
    DownpourWorker.SliceOutcome redelivered = worker(job, 0, quiet).runSlice(1);
    assertEquals(DownpourWorker.Status.STALE, redelivered.status());
    assertEquals(updates, jobs.parameters(job).updates());
    // A copy arriving while another call of the worker holds the lease: busy, no push.
    assertTrue(jobs.jobStore().acquireLease(job, 0, "other-call", java.time.Duration.ofSeconds(5)));
    DownpourWorker.SliceOutcome duplicate = worker(job, 0, quiet).runSlice(2);
    assertEquals(DownpourWorker.Status.BUSY, duplicate.status());
    assertEquals(updates, jobs.parameters(job).updates());
    jobs.jobStore().releaseLease(job, 0, "other-call");
    assertEquals(DownpourWorker.Status.CONTINUE, worker(job, 0, quiet).runSlice(2).status());
    assertEquals(2, WorkerPosition.fromMap(jobs.jobStore().worker(job, 0)).slices());
  }

  @Test
  void downpourRefusesMomentumNamingTheField() {
    TrainingConfig config = TrainingConfig.defaults(RealData.dir().toString());
    assertEquals(List.of("optimizer: Downpour workers apply sgd or adagrad on the parameter store, got 'momentum'"),
        DownpourJobs.problems(config));
  }
}
