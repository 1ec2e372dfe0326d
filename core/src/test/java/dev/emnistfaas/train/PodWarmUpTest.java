package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import org.junit.jupiter.api.Test;

/** A pod's warm-up on the real data: it loads the data set and trains the throw-away steps. */
class PodWarmUpTest {
  @Test
  void loadsTheDefaultDataAndTrainsItsSteps() {
    TrainingConfig defaults = TrainingConfig.downpourDefaults(RealData.dir().toString());
    PodWarmUp.Summary s = PodWarmUp.run(defaults);
    assertTrue(DatasetCache.isLoaded(defaults.dataSource()));
    assertTrue(s.samplesPerSecond() > 0 && s.jitSeconds() > 0 && s.loadSeconds() >= 0, s.toString());
  }
}
