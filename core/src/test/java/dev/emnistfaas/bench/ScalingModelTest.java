package dev.emnistfaas.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.bench.ScalingModel.Bound;
import dev.emnistfaas.bench.ScalingModel.Link;
import org.junit.jupiter.api.Test;

/** The model's arithmetic, on round numbers. */
class ScalingModelTest {
  // A worker: 32 samples in 0.2 ms = 160,000 samples/s; a push every 10 steps = 320 samples.
  // Redis: 100 us a shard + 500 us for the bytes; 1 MB a push.
  // The pushing thread: 1 ms a push, under the 2 ms of the push's 10 steps.
  private final ScalingModel model = ScalingModel.calibrated(0.2e-3, 1e-3, 32, 10, 600e-6, 900e-6, 4, 1e6);

  @Test
  void calibrationSplitsRedisCpuIntoPerShardAndPerByteParts() {
    assertEquals(100e-6, model.redisOverheadSeconds(), 1e-12);
    assertEquals(500e-6, model.redisBytesSeconds(), 1e-12);
    assertEquals(160_000, model.workerSamplesPerSecond(), 1e-6);
  }

  @Test
  void theSlowestOfWorkersMastersCpuAndLinksBoundsTheJob() {
    // One master on 10 GbE: 1,250 pushes/s by the link, 1/600us = 1,667 by CPU -> 400,000 samples/s.
    ScalingModel.Prediction two = model.predict(2, 1, Link.GBE_10, 640_000, 0);
    assertEquals(Bound.WORKERS, two.bound());
    assertEquals(320_000, two.samplesPerSecond(), 1e-6);
    assertEquals(2.0, two.secondsToTarget(), 1e-9);
    ScalingModel.Prediction eight = model.predict(8, 1, Link.GBE_10, 640_000, 0);
    assertEquals(Bound.NETWORK, eight.bound());
    assertEquals(400_000, eight.samplesPerSecond(), 1e-6);
    assertEquals(2.5, model.wall(1, Link.GBE_10), 1e-9);
    // 25 GbE: the link carries 3,125 pushes/s, the CPU 1,667: CPU-bound.
    assertEquals(Bound.REDIS_CPU, model.predict(8, 1, Link.GBE_25, 640_000, 0).bound());
    assertEquals(Bound.REDIS_CPU, model.masterBound(1, Link.GBE_25));
    // Four masters: 100 + 125 us a push each -> 4,444 pushes/s by CPU, 5,000 by 10 GbE links.
    assertEquals(1 / 225e-6, model.pushCapacity(4, Link.GBE_10), 1e-6);
    assertTrue(Double.isNaN(model.predict(8, 4, Link.GBE_10, -1, 0).secondsToTarget()));
  }

  @Test
  void aWorkerWhosePushesCostMoreThanItsStepsTrainsAtThePushesPace() {
    // Pushing every step: 1 ms of push per 0.2 ms step -> 32 samples a ms.
    ScalingModel everyStep = ScalingModel.calibrated(0.2e-3, 1e-3, 32, 1, 600e-6, 900e-6, 4, 1e6);
    assertEquals(32_000, everyStep.workerSamplesPerSecond(), 1e-6);
  }

  @Test
  void aSynchronousWorkerStepsThenWaitsForItsSend() {
    // Parameter averaging: 10 steps (2 ms), then its own 1 ms and Redis's 0.6 ms: 320 samples in 3.6 ms.
    ScalingModel rounds = ScalingModel.calibratedSynchronous(0.2e-3, 1e-3, 32, 10, 600e-6, 900e-6, 4, 1e6);
    assertEquals(320 / 3.6e-3, rounds.workerSamplesPerSecond(), 1e-6);
    assertEquals(Bound.WORKERS, rounds.predict(2, 1, Link.GBE_10, 640_000, 0).bound());
  }

  @Test
  void theWarmStartRunsAtOneWorkersSpeed() {
    // 160,000 samples alone (1 s), then 480,000 at 320,000 samples/s (1.5 s).
    assertEquals(2.5, model.predict(2, 1, Link.GBE_10, 640_000, 160_000).secondsToTarget(), 1e-9);
  }
}
