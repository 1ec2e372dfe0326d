package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.ps.UpdateRule;
import dev.emnistfaas.train.StalenessSimulation.Result;
import dev.emnistfaas.train.StalenessSimulation.Setup;
import org.junit.jupiter.api.Test;

/** The simulation on the real bymerge data: deterministic, and as stale as the workers it models. */
class StalenessSimulationTest {
  private static Setup setup(int workers, long warmStart, long maxSamples) {
    return new Setup(workers, new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.05f), 32, 10, 10, 0.2f, 1, warmStart, 0.75,
        maxSamples, 5_000);
  }

  @Test
  void oneWorkerReachesTheTargetAndFourSeeEachOthersPushes() {
    EmnistDataset data = RealData.dataset();
    StalenessSimulation sim = new StalenessSimulation(data.train(), data.eval(),
        new dev.emnistfaas.nn.MlpNetwork(784, 100, data.train().classes()));
    Result one = sim.run(setup(1, 0, 300_000));
    assertTrue(one.reached(), "best " + one.bestAccuracy());
    assertEquals(0.0, one.meanStaleness());
    assertEquals(one.samplesToTarget(), sim.run(setup(1, 0, 300_000)).samplesToTarget(), "not deterministic");
    // Four workers spread over a push interval: between a worker's fetch and its push landing, the three
    // others push once each.
    Result four = sim.run(setup(4, 0, 40_000));
    assertEquals(3.0, four.meanStaleness(), 0.1);
    // With a warm start the first 25,600 samples are worker 0's alone, at staleness 0.
    Result warm = sim.run(setup(4, 25_600, 40_000));
    assertTrue(warm.meanStaleness() < 2.0, "staleness " + warm.meanStaleness());
  }
}
