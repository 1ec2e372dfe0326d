package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.nn.MlpNetwork;
import dev.emnistfaas.ps.RoundUpdate;
import dev.emnistfaas.ps.UpdateRule;
import dev.emnistfaas.train.AveragingSimulation.Result;
import dev.emnistfaas.train.AveragingSimulation.Setup;
import org.junit.jupiter.api.Test;

/** The averaging simulation on the real bymerge data: deterministic, in whole rounds, reaching the target. */
class AveragingSimulationTest {
  private static Setup setup(int workers, int localSteps) {
    return new Setup(workers, new UpdateRule(UpdateRule.Kind.SGD, 0.2f), RoundUpdate.MEAN, 32, localSteps, 0.2f, 1,
        0.75, 400_000, 5_000);
  }

  @Test
  void workersAveragingInRoundsReachTheTargetDeterministically() {
    EmnistDataset data = RealData.dataset();
    AveragingSimulation sim = new AveragingSimulation(data.train(), data.eval(),
        new MlpNetwork(784, 100, data.train().classes()));
    for (int m : new int[] {1, 2}) {
      Result r = sim.run(setup(m, 50));
      assertTrue(r.reached(), "M=" + m + ": best " + r.bestAccuracy());
      assertEquals(r.samplesToTarget(), sim.run(setup(m, 50)).samplesToTarget(), "not deterministic");
      // Every round trains M x 50 batches (the last batch of an epoch may be short): the target is judged at
      // round ends only.
      long perRound = (long) m * 50 * 32;
      assertTrue(r.samples() <= r.rounds() * perRound && r.samples() > (r.rounds() - 1) * perRound,
          r.samples() + " samples in " + r.rounds() + " rounds");
    }
  }
}
