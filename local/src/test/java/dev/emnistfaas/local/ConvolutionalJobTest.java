package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.nn.Classifier;
import dev.emnistfaas.train.DownpourJobs;
import dev.emnistfaas.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A Downpour job of a convolutional network, end to end through the local gateway and an embedded Redis. */
class ConvolutionalJobTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(300);

  private static String data() {
    String data = System.getenv("EMNIST_DIR");
    assertTrue(data != null && Files.isDirectory(Path.of(data)), "EMNIST_DIR must name the EMNIST bymerge files");
    return data;
  }

  @Test
  void twoWorkersAfterAWarmStartReachTheTargetAndTheModelReadsWithTheSameNetwork() {
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(2), Optional.empty(),
        TrainingConfig.downpourDefaults(data()))) {
      GatewayJobClient client = rt.client();
      // A small network and a modest target keep this inside CI's budget; the warm start is counted in samples.
      String job = client.start("{\"network\": \"c8k3-p2-c16k3-p2-f64\", \"workers\": 2, \"targetAccuracy\": 0.7, "
          + "\"warmStartSamples\": 6400, \"evalEverySeconds\": 1}");
      JsonNode s = client.awaitDone(job, TIMEOUT, Duration.ofMillis(200), x -> { });
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertEquals("c8k3-p2-c16k3-p2-f64", s.path("network").asText());
      assertTrue(s.path("bestAccuracy").asDouble() >= 0.7, s.toPrettyString());
      double balanced = s.path("bestBalancedAccuracy").asDouble();
      assertTrue(balanced > 0.3 && balanced <= 1, "balanced accuracy " + balanced);
      for (JsonNode e : s.path("evaluations")) {
        assertTrue(e.has("balancedAccuracy"), e.toString());
      }
      long pushes = 0;
      for (JsonNode w : s.path("workers")) {
        // The warm start once counted pushes, which merge under load: a second worker could wait a whole job.
        assertTrue(w.path("samples").asLong() > 0, "worker " + w.path("worker") + " trained nothing: " + s);
        pushes += w.path("pushes").asLong();
      }
      assertEquals(pushes, rt.functions().jobs().parameters(job).updates(), "every slice's pushes applied once");

      DownpourJobs.EvaluatedModel model = rt.functions().jobs().bestModel(job).orElseThrow();
      assertEquals("c8k3-p2-c16k3-p2-f64", model.model().network().name());
      EmnistDataset dataset = EmnistDataset.load(TrainingConfig.downpourDefaults(data()).dataSource());
      Classifier classifier = new Classifier(model.model());
      int right = 0;
      int n = 500;
      for (int i = 0; i < n; i++) {
        int[] stored = new int[784];
        for (int p = 0; p < stored.length; p++) {
          stored[p] = dataset.eval().pixel(i, p);
        }
        String truth = dataset.eval().mapping().character(dataset.eval().label(i));
        right += classifier.top(stored, 1).get(0).character().equals(truth) ? 1 : 0;
      }
      // One image at a time in plain Java reads as the batch passes evaluated: within the sampling noise of 500.
      assertTrue(right >= (model.accuracy() - 0.07) * n, right + " of " + n + " against " + model.accuracy());
    }
  }
}
