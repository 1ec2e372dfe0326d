package dev.emnistfaas.e2e;

import static dev.emnistfaas.e2e.RealCeTest.POLL;
import static dev.emnistfaas.e2e.RealCeTest.TIMEOUT;
import static dev.emnistfaas.e2e.RealCeTest.assertFinishedWell;
import static dev.emnistfaas.e2e.RealCeTest.figure;
import static dev.emnistfaas.e2e.RealCeTest.podRunningSlice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Parameter averaging on the real OpenFaaS CE components (see {@link RealCeTest}): every case asserts what
 * {@link RealCeTest#assertFinishedWell} does, with the contributions the rounds accepted in place of the store's
 * updates (each saved contribution accepted once, plus at most the unsaved slices of a kill).
 */
class RealCeAveragingTest {
  private static final String AVERAGE = "\"algorithm\": \"average\", ";

  @BeforeEach
  void skipWithoutTheBinaries() throws IOException, InterruptedException {
    CeHarness.assumeUpstreamBinaries();
  }

  /** Rounds closed with several workers in them: the workers averaged with each other. */
  private static void assertAveraged(JsonNode s) {
    assertEquals("average", s.path("algorithm").asText(), s.toPrettyString());
    long rounds = s.path("round").asLong() - 1;
    long contributions = s.path("contributions").asLong();
    assertTrue(rounds > 1 && rounds < contributions, rounds + " rounds for " + contributions + " contributions");
  }

  @Test
  void clusterLikeThreeWorkersOnThreePods() throws Exception {
    try (CeHarness h = CeHarness.up(CeHarness.Setup.clusterLike())) {
      JobWatch job = JobWatch.start(h.gateway(), "{" + AVERAGE + "\"workers\": 3}");
      JsonNode s = job.awaitDone(TIMEOUT, POLL);
      assertFinishedWell("averaging, cluster-like M=3", h, job, s, 0);
      assertAveraged(s);
      assertTrue(s.path("slicesOverlapped").asBoolean(), s.toPrettyString());
      figure("averaging, cluster-like M=3", s.path("round").asLong() - 1 + " rounds, "
          + s.path("contributions").asLong() + " contributions");
    }
  }

  /** A pod killed in a worker's second slice, in the middle of a round: the round closes without it. */
  @Test
  void aPodKilledMidRoundHoldsNoRound() throws Exception {
    try (CeHarness h = CeHarness.up(CeHarness.Setup.clusterLike())) {
      // The round deadline is 10 minutes: what closes the dead worker's rounds is its lease expiring.
      JobWatch job = JobWatch.start(h.gateway(), "{" + AVERAGE + "\"workers\": 3, \"sliceSeconds\": 2, "
          + "\"roundSeconds\": 600, \"targetAccuracy\": 0.78}");
      String pod = podRunningSlice(h, job, 2);
      h.killPod(pod);
      figure("averaging, pod killed mid-round", "killed " + pod + " at "
          + (System.currentTimeMillis() - job.startedMillis) + " ms");
      JsonNode s = job.awaitDone(TIMEOUT, POLL);
      assertFinishedWell("averaging, pod killed mid-round, M=3", h, job, s, 1);
      assertAveraged(s);
    }
  }

  /** Every call delivered again each second to an idle pod (ack_wait 1 s below 10 s slices): nothing counts twice. */
  @Test
  void duplicateDeliveriesContributeOnce() throws Exception {
    try (CeHarness h = CeHarness.up(new CeHarness.Setup(3, "1s", 3, CeHarness.Routing.ROUND_ROBIN))) {
      JobWatch job = JobWatch.start(h.gateway(), "{" + AVERAGE + "\"workers\": 2, \"sliceSeconds\": 10, "
          + "\"targetAccuracy\": 0.78}");
      JsonNode s = job.awaitDone(TIMEOUT, POLL);
      assertFinishedWell("averaging, ack_wait 1 s < 10 s slices, M=2 on 3 pods", h, job, s, 0);
      JsonNode after = CeHarness.parse(job.poll().body());
      assertTrue(after.path("duplicateCalls").asLong() > 0, "no redelivered call reached a pod: " + after);
    }
  }

  /** One queue-worker (CE's default) for two workers: one runs at a time, and closes its rounds alone. */
  @Test
  void oneQueueWorkerForTwoWorkers() throws Exception {
    try (CeHarness h = CeHarness.up(new CeHarness.Setup(1, "60s", 3, CeHarness.Routing.RANDOM))) {
      JobWatch job = JobWatch.start(h.gateway(), "{" + AVERAGE + "\"workers\": 2, \"sliceSeconds\": 1, "
          + "\"roundSeconds\": 600, \"targetAccuracy\": 0.78}");
      JsonNode s = job.awaitDone(TIMEOUT, POLL);
      assertFinishedWell("averaging, one queue-worker, M=2", h, job, s, 0);
      assertTrue(s.path("warning").asText().contains("one after another"), s.toPrettyString());
      assertEquals(s.path("round").asLong() - 1, s.path("contributions").asLong(), "a round closed with two "
          + "workers in it, though they never ran at once: " + s.toPrettyString());
    }
  }

  /**
   * The convolutional network to 85 % with parameter averaging (its defaults: Adagrad 0.05 on the store, 10 local steps), one
   * worker and then two, each on three fresh pods; the times are printed, not asserted (the machine may be shared).
   */
  @Test
  void convolutionalNetworkWithOneWorkerThenTwo() throws Exception {
    double[] seconds = new double[2];
    for (int workers = 1; workers <= 2; workers++) {
      try (CeHarness h = CeHarness.up(CeHarness.Setup.clusterLike())) {
        JobWatch job = JobWatch.start(h.gateway(), "{" + AVERAGE + "\"workers\": " + workers + ", \"network\": "
            + "\"c16k3-p2-c32k3-p2-f128\"}");
        JsonNode s = job.awaitDone(TIMEOUT, POLL);
        assertFinishedWell("averaging, convolutional M=" + workers, h, job, s, 0);
        seconds[workers - 1] = s.path("secondsToTarget").asDouble();
        long samples = 0;
        for (JsonNode w : s.path("workers")) {
          samples += w.path("samples").asLong();
        }
        figure("averaging, convolutional M=" + workers, String.format("%.1f s to 85 %%, %d samples in all, %d rounds",
            seconds[workers - 1], samples, s.path("round").asLong() - 1));
      }
    }
    figure("averaging, convolutional M=2 against M=1", String.format("%.1f s against %.1f s to 85 %%: %.2fx",
        seconds[1], seconds[0], seconds[1] / seconds[0]));
  }
}
