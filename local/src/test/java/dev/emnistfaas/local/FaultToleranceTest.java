package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What OpenFaaS CE and real clusters do to calls, through the local gateway and a real (embedded) Redis. */
class FaultToleranceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(180);
  @TempDir Path dir;

  private static TrainingConfig defaults() {
    String data = System.getenv("EMNIST_DIR");
    assertTrue(data != null && Files.isDirectory(Path.of(data)), "EMNIST_DIR must name the EMNIST bymerge files");
    return TrainingConfig.downpourDefaults(data);
  }

  private static JsonNode await(GatewayJobClient client, String job) {
    return client.awaitDone(job, TIMEOUT, Duration.ofMillis(200), s -> { });
  }

  /** Pushes the store applied equal the pushes the workers saved: no slice's work was applied twice. */
  private static void assertEachSliceAppliedOnce(LocalRuntime rt, String job, JsonNode status) {
    assertEquals(savedSends(status), rt.functions().jobs().parameters(job).updates(), status.toPrettyString());
  }

  /** The pushes (Downpour) or contributions (averaging) the workers' saved records count, summed. */
  private static long savedSends(JsonNode status) {
    long saved = 0;
    for (JsonNode w : status.path("workers")) {
      saved += w.path("pushes").asLong();
    }
    return saved;
  }

  /** Kills emnist-train's pod 0 as soon as it runs a slice (waiting up to 20 s for one). */
  private static void killTrainPodZeroMidSlice(LocalRuntime rt) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!rt.gateway().killPod("emnist-train", 0)) {
      assertTrue(System.nanoTime() < deadline, "pod 0 never ran a slice to kill");
      Thread.sleep(20);
    }
  }

  @Test
  void redeliveryAfterAckWaitNeverAppliesASliceTwice() {
    try (LocalRuntime rt = new LocalRuntime(new GatewaySettings(2, 4, GatewaySettings.Routing.ROUND_ROBIN, 0,
        Duration.ofMillis(300), Duration.ZERO), Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"workers\": 2, \"sliceSeconds\": 1.0}");
      JsonNode s = await(client, job);
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertTrue(rt.gateway().redelivered() > 0, "ack_wait never fired: the test did not redeliver");
      assertEachSliceAppliedOnce(rt, job, s);
    }
  }

  @Test
  void busyPodsAnswer429AndNoSliceIsLost() {
    // Three queue workers deliver the three workers' slices to two pods that take one call each: whenever all
    // three are in flight, one call meets a busy pod. With two of each, the job could finish before random
    // routing ever sent both slices to the same pod.
    try (LocalRuntime rt = new LocalRuntime(new GatewaySettings(2, 3, GatewaySettings.Routing.RANDOM, 1,
        Duration.ZERO, Duration.ZERO), Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"workers\": 3, \"sliceSeconds\": 0.3}");
      JsonNode s = await(client, job);
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertFalse(s.path("failed").asBoolean(), s.toPrettyString());
      assertTrue(rt.gateway().rejected() > 0, "no 429: random routing never hit a busy pod");
      assertTrue(s.path("reenqueuedSlices").asLong() > 0, s.toPrettyString());
      assertEachSliceAppliedOnce(rt, job, s);
    }
  }

  /**
   * Pods that take seconds to start, busy pods answering 429, and callbacks the queue workers post themselves
   * and wait for: the job still reaches the target, its status answers 200 at every moment, and no slice's
   * pushes are applied twice.
   */
  @Test
  void coldBusyPodsWithSynchronousCallbacksNeverFailTheStatus() throws Exception {
    GatewaySettings settings = new GatewaySettings(3, 3, GatewaySettings.Routing.RANDOM, 1, Duration.ZERO,
        Duration.ofSeconds(2));
    try (LocalRuntime rt = new LocalRuntime(settings, Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"workers\": 3, \"sliceSeconds\": 0.5}");
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      JsonNode s = client.status(job); // throws on anything but 200
      while (!s.path("done").asBoolean()) {
        assertTrue(System.nanoTime() < deadline, "not done: " + s.toPrettyString());
        Thread.sleep(50);
        s = client.status(job);
      }
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertEachSliceAppliedOnce(rt, job, s);
      assertTrue(s.path("slicesOverlapped").asBoolean(), s.toPrettyString());
    }
  }

  @Test
  void aWorkerWhosePodDiesMidSliceIsRecovered() throws InterruptedException {
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2), Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"workers\": 2, \"sliceSeconds\": 2.0}");
      killTrainPodZeroMidSlice(rt);
      JsonNode s = await(client, job);
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      // The killed call's callback (5xx) queued its slice again, without waiting for the stall threshold.
      assertTrue(s.path("reenqueuedSlices").asLong() >= 1, s.toPrettyString());
      for (JsonNode w : s.path("workers")) {
        assertEquals("done", w.path("state").asText(), w.toString());
      }
    }
  }

  /**
   * Parameter averaging with busy pods answering 429 and calls delivered again after ack_wait: every contribution a
   * worker saved was accepted exactly once, whatever happened to the calls.
   */
  @Test
  void averagingCountsEachContributionOnceUnder429sAndRedeliveries() {
    try (LocalRuntime rt = new LocalRuntime(new GatewaySettings(2, 3, GatewaySettings.Routing.RANDOM, 1,
        Duration.ofMillis(400), Duration.ZERO), Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"algorithm\": \"average\", \"workers\": 3, \"sliceSeconds\": 0.5, "
          + "\"localSteps\": 20}");
      JsonNode s = await(client, job);
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertTrue(rt.gateway().rejected() + rt.gateway().redelivered() > 0, "no 429 and no redelivery: nothing tested");
      assertEquals(savedSends(s), s.path("contributions").asLong(), s.toPrettyString());
    }
  }

  /**
   * Parameter averaging with a pod killed mid-slice: the rounds do not wait for the dead worker (the round deadline
   * here is 10 minutes), its slice is queued again, and the job ends with every worker done.
   */
  @Test
  void anAveragingWorkerWhosePodDiesHoldsNoRound() throws InterruptedException {
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2), Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"algorithm\": \"average\", \"workers\": 2, \"sliceSeconds\": 2.0, "
          + "\"roundSeconds\": 600, \"targetAccuracy\": 0.77}");
      killTrainPodZeroMidSlice(rt);
      JsonNode s = await(client, job);
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertTrue(s.path("reenqueuedSlices").asLong() >= 1, s.toPrettyString());
      for (JsonNode w : s.path("workers")) {
        assertEquals("done", w.path("state").asText(), w.toString());
      }
      // The killed slice's contributions were accepted but never saved; nothing was accepted twice.
      assertTrue(s.path("contributions").asLong() >= savedSends(s), s.toPrettyString());
    }
  }

  /**
   * The real components' lost chain (an emnist-train call refused by a busy pod while its callback went to an
   * emnist-setup pod that had just died: nobody hears of it), with nobody polling: the call is found lost because
   * calls queued after it began and it did not, and queued again, not by the stall threshold (16 s here).
   */
  @Test
  void aLostCallWhoseCallbackIsLostTooIsFoundByTheCallsQueuedAfterIt() throws InterruptedException {
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(4), Optional.empty(), defaults())) {
      String job = rt.client().start("{\"workers\": 4, \"sliceSeconds\": 2.0, \"targetAccuracy\": 0.8}");
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      JsonNode s = rt.functions().jobs().status(job); // read in-process: no call to emnist-setup
      while (s.path("workers").get(1).path("slices").asInt() < 1 && !s.path("done").asBoolean()) {
        assertTrue(System.nanoTime() < deadline, "worker 1 never ended a slice: " + s.toPrettyString());
        Thread.sleep(50);
        s = rt.functions().jobs().status(job);
      }
      long rejectedBefore = rt.gateway().rejected();
      rt.gateway().loseNextCall("emnist-train");
      while (!s.path("done").asBoolean()) {
        assertTrue(System.nanoTime() < deadline, "not done without polling: " + s.toPrettyString());
        Thread.sleep(200);
        s = rt.functions().jobs().status(job);
      }
      assertEquals(rejectedBefore + 1, rt.gateway().rejected(), "the gateway lost no call: the test tested nothing");
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertEquals(1, s.path("lostCalls").asLong(), s.toPrettyString());
      assertEquals(0, s.path("recoveredWorkers").asLong(), s.toPrettyString());
      assertEquals(0, s.path("reenqueuedSlices").asLong(), "a callback arrived: " + s.toPrettyString());
      for (JsonNode w : s.path("workers")) {
        assertEquals("done", w.path("state").asText(), w.toString());
      }
      assertEachSliceAppliedOnce(rt, job, s);
    }
  }

  @Test
  void aRedisRestartWithItsDataIsSurvived() throws InterruptedException {
    int port = EmbeddedRedis.freePort();
    EmbeddedRedis redis = EmbeddedRedis.start(port, dir, true, List.of());
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2),
        Optional.of(RedisSettings.local(redis.url())), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"workers\": 2, \"sliceSeconds\": 0.5}");
      Thread.sleep(400);
      redis.close();
      Thread.sleep(1000);
      redis = EmbeddedRedis.start(port, dir, true, List.of());
      JsonNode s = await(client, job);
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
    } finally {
      redis.close();
    }
  }

  @Test
  void lostRedisDataEndsTheJobWithAClearReason() throws InterruptedException {
    int port = EmbeddedRedis.freePort();
    EmbeddedRedis redis = EmbeddedRedis.start(port, dir, false, List.of());
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2),
        Optional.of(RedisSettings.local(redis.url())), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{\"workers\": 2, \"sliceSeconds\": 0.5, \"targetAccuracy\": 0.99}");
      Thread.sleep(400);
      redis.close();
      redis = EmbeddedRedis.start(port, dir, false, List.of());
      IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> client.awaitDone(job, Duration.ofSeconds(30), Duration.ofMillis(200), x -> { }));
      assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("no such job '" + job + "'"),
          e.getMessage());
      // The workers stop too: deliveries settle instead of going on forever.
      Thread.sleep(3000);
      long settled = rt.gateway().delivered();
      Thread.sleep(2000);
      assertEquals(settled, rt.gateway().delivered(), "emnist-train calls keep coming for a lost job");
    } finally {
      redis.close();
    }
  }

  /**
   * As the end-to-end suite's "nobody polls" and "long slices" cases found on the real components (a job idle
   * until its status was polled; workers running out 30 s slices after the target): with nobody calling
   * emnist-setup, the job ends by itself at the target, each worker within its slice rather than at its end, every
   * push applied once, and no emnist-train call comes afterwards.
   */
  @Test
  void aJobNobodyPollsEndsByItselfAtTheTargetEvenWithLongSlices() throws InterruptedException {
    double sliceSeconds = 60; // far longer than the job takes to its target, even on a loaded machine
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2), Optional.empty(), defaults())) {
      String job = rt.client().start("{\"workers\": 2, \"sliceSeconds\": " + sliceSeconds + "}");
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      JsonNode s = rt.functions().jobs().status(job); // read in-process: no call to emnist-setup
      while (!s.path("done").asBoolean()) {
        assertTrue(System.nanoTime() < deadline, "not done without polling: " + s.toPrettyString());
        Thread.sleep(200);
        s = rt.functions().jobs().status(job);
      }
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertEachSliceAppliedOnce(rt, job, s);
      for (JsonNode w : s.path("workers")) {
        assertEquals(1, w.path("slices").asInt(), "a worker's slice ended without the target: " + w);
        assertTrue(w.path("finishedSeconds").asDouble() - s.path("secondsToTarget").asDouble() < sliceSeconds,
            "worker ran its slice out after the target: " + s.toPrettyString());
      }
      long settled = rt.gateway().delivered();
      Thread.sleep(2000);
      assertEquals(settled, rt.gateway().delivered(), "emnist-train calls after the job was done");
    }
  }

  @Test
  void cancelStopsEveryWorker() throws InterruptedException {
    cancelStopsEveryWorker("");
  }

  /** Parameter averaging: a worker waiting for its round (the deadline is 10 minutes) notices the cancel. */
  @Test
  void cancelStopsEveryAveragingWorker() throws InterruptedException {
    cancelStopsEveryWorker("\"algorithm\": \"average\", \"roundSeconds\": 600, ");
  }

  private void cancelStopsEveryWorker(String fields) throws InterruptedException {
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2), Optional.empty(), defaults())) {
      GatewayJobClient client = rt.client();
      String job = client.start("{" + fields + "\"workers\": 2, \"sliceSeconds\": 1.0, \"targetAccuracy\": 0.99, "
          + "\"maxEpochs\": 50}");
      Thread.sleep(1500);
      client.cancel(job);
      // Every worker stops at its next push or round, long before the 50 epochs (minutes) it had left.
      JsonNode s = client.awaitDone(job, Duration.ofSeconds(60), Duration.ofMillis(50), x -> { });
      assertTrue(s.path("cancelled").asBoolean(), s.toPrettyString());
      assertFalse(s.path("reached").asBoolean(), s.toPrettyString());
      // Done means no call holds a worker; a call queued meanwhile records its worker done without training.
      Thread.sleep(2000);
      JsonNode later = client.status(job);
      for (int w = 0; w < 2; w++) {
        assertEquals(s.path("workers").get(w).path("samples").asLong(),
            later.path("workers").get(w).path("samples").asLong(), later.toPrettyString());
        assertTrue(later.path("workers").get(w).path("epoch").asInt() < 50, later.toPrettyString());
      }
      long ttl = rt.functions().redis().call(j -> j.pttl("emnist:{" + job + "}:config"));
      assertTrue(ttl > 0 && ttl <= 3_600_000, "cancelled job's keys expire within the hour, ttl " + ttl);
    }
  }

}
