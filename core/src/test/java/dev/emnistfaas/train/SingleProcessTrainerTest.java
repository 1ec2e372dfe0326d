package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import dev.emnistfaas.data.EmnistDataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Training on the real bymerge data. */
class SingleProcessTrainerTest {

  @Test
  void reachesSeventyFivePercentOnTheBymergeEvaluationPart() {
    EmnistDataset data = RealData.dataset();
    TrainingConfig config = TrainingConfig.defaults(RealData.dir().toString());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    TrainingResult r = new SingleProcessTrainer(config, new PrintStream(log, true)).run(data.train(), data.eval());
    assertTrue(r.reached(), log.toString());
    assertTrue(r.finalAccuracy() >= 0.75, "final accuracy " + r.finalAccuracy());
    assertTrue(r.epochsToTarget() <= 2, "took " + r.epochsToTarget() + " epochs");
    assertTrue(log.toString().contains("target 75.00 % reached"), log.toString());
  }

  @Test
  void sameSeedSameRun() {
    EmnistDataset data = RealData.dataset();
    TrainingConfig base = TrainingConfig.defaults(RealData.dir().toString());
    TrainingConfig config = base.with(java.util.Map.of("hidden", 20, "batch", 64, "optimizer", "sgd",
        "learningRate", 0.1, "momentum", 0.0, "seed", 9, "maxEpochs", 1, "targetAccuracy", 0.0,
        "evalEverySteps", 100));
    var a = data.train().shard(0, 10);
    TrainingResult r1 = new SingleProcessTrainer(config, new PrintStream(new ByteArrayOutputStream())).run(a, data.eval());
    TrainingResult r2 = new SingleProcessTrainer(config, new PrintStream(new ByteArrayOutputStream())).run(a, data.eval());
    assertEquals(r1.history().stream().map(TrainingResult.Checkpoint::accuracy).toList(),
        r2.history().stream().map(TrainingResult.Checkpoint::accuracy).toList());
    assertEquals(List.of(100L, 164L), r1.history().stream().map(TrainingResult.Checkpoint::step).toList());
  }

  @Test
  void invalidConfigNamesEveryBadField() {
    TrainingConfig bad = new TrainingConfig("", "bogus", 1.5, 7, 0, "c3k4", 0, 1.0, "adam", -1, 1, 1, 0, 2, -1, 0,
        0, 0, 0, -1, "zip", 0, -1, 0, 0, false, false, "allreduce", 0, 0, "median");
    List<String> p = bad.problems();
    for (String field : List.of("dataDir", "split", "evalFraction", "hidden", "network", "batch", "dropout", "optimizer",
        "learningRate", "momentum", "maxEpochs", "targetAccuracy", "evalEverySteps", "threads", "workers",
        "nFetch", "nPush", "shards", "pushEncoding", "pushDensity", "warmStartSamples", "sliceSeconds", "evalEverySeconds",
        "algorithm", "localSteps", "roundSeconds", "roundUpdate")) {
      assertTrue(p.stream().anyMatch(s -> s.startsWith(field + ":")), field + " not named in " + p);
    }
  }

  @Test
  void aBodyNamingAConvolutionalNetworkGetsItsDefaultsForWhatItLeavesOut() {
    TrainingConfig d = TrainingConfig.downpourDefaults("/data");
    TrainingConfig cnn = d.withJson("{\"network\": \"c16k3-p2-c32k3-p2-f128\", \"batch\": 32}");
    assertEquals("c16k3-p2-c32k3-p2-f128", cnn.networkName());
    assertEquals(32, cnn.batch());
    assertEquals(0.85, cnn.targetAccuracy());
    assertEquals(5.0, cnn.evalEverySeconds());
    assertEquals(0, cnn.warmStartSamples());
    assertEquals(d.learningRate(), cnn.learningRate());
    TrainingConfig mlp = d.withJson("{\"network\": \"mlp50\"}");
    assertEquals("mlp50", mlp.networkName());
    assertEquals(d.batch(), mlp.batch());
    assertEquals(d.targetAccuracy(), mlp.targetAccuracy());
    assertEquals(List.of("network: c16k4: 'c16k4': need 1..1024 filters and an odd kernel 1..11 ('same' padding)"),
        d.with(java.util.Map.of("network", "c16k4")).problems());
  }

  @Test
  void jsonOverridesNameTheFieldTheyGetWrong() {
    TrainingConfig d = TrainingConfig.downpourDefaults("/data");
    assertEquals(64, d.withJson("{\"batch\": 64}").batch());
    assertEquals("adagrad", d.optimizer());
    assertEquals(d, TrainingConfig.fromJson(d.toJson()));
    java.util.function.Function<String, java.util.List<String>> problems = json -> org.junit.jupiter.api.Assertions
        .assertThrows(TrainingConfig.InvalidConfig.class, () -> d.withJson(json)).problems();
    assertTrue(problems.apply("{\"bogus\": 1}").get(0).startsWith("bogus: unknown field (the fields are dataDir,"));
    assertEquals(java.util.List.of("workers: must be a whole number (32-bit), got \"many\""),
        problems.apply("{\"workers\": \"many\"}"));
    assertEquals(java.util.List.of("body: must be a JSON object of config fields such as {\"workers\": 2}, got [1]"),
        problems.apply("[1]"));
  }
}
