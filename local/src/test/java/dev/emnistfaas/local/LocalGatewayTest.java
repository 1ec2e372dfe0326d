package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emnistfaas.train.TrainingConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Both functions driven over HTTP through the local gateway, on a real (embedded) Redis and real EMNIST data. */
class LocalGatewayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private static String dataDir() {
    String dir = System.getenv("EMNIST_DIR");
    assertTrue(dir != null && Files.isDirectory(Path.of(dir)), "EMNIST_DIR must name the EMNIST bymerge files");
    return dir;
  }

  private static LocalRuntime runtime(GatewaySettings settings) {
    return new LocalRuntime(settings, Optional.empty(), TrainingConfig.downpourDefaults(dataDir()));
  }

  /** A POST with the runtime's API token, as a user with the token sends it. */
  private HttpResponse<String> post(LocalRuntime rt, URI url, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(url).header("Authorization", "Bearer " + rt.apiToken())
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Starts a job through emnist-setup and follows its status until every worker is done. */
  private JsonNode train(LocalRuntime rt, String overrides) {
    GatewayJobClient client = rt.client();
    return client.awaitDone(client.start(overrides), java.time.Duration.ofSeconds(240),
        java.time.Duration.ofMillis(250), s -> { });
  }

  @Test
  void twoWorkersOnAWellConfiguredGatewayReachTheTargetInParallel() throws Exception {
    try (LocalRuntime rt = runtime(GatewaySettings.wellConfigured(2))) {
      JsonNode s = train(rt, "{\"workers\": 2, \"sliceSeconds\": 0.25}");
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertTrue(s.path("bestAccuracy").asDouble() >= 0.75, s.toPrettyString());
      assertTrue(s.path("slicesOverlapped").asBoolean(), s.toPrettyString());
      assertFalse(s.has("warning"), s.toPrettyString());
      for (JsonNode w : s.path("workers")) {
        assertTrue(w.path("slices").asInt() >= 2, "no slice boundary crossed: " + w);
        // Every sample trained on is accounted for by the saved (epoch, cursor): none skipped or repeated.
        int shard = (int) ((long) 104_691 * (w.path("worker").asInt() + 1) / 2) - (int) ((long) 104_691
            * w.path("worker").asInt() / 2);
        assertEquals((long) (w.path("epoch").asInt() - 1) * shard + w.path("cursor").asInt(),
            w.path("samples").asLong(), w.toString());
        assertTrue(w.path("host").asText().startsWith("emnist-train-pod-"), w.toString());
      }
    }
  }

  @Test
  void oneQueueWorkerAsInCeStillTrainsButTheStatusWarns() throws Exception {
    try (LocalRuntime rt = runtime(GatewaySettings.ceDefaults(2))) {
      JsonNode s = train(rt, "{\"workers\": 2, \"sliceSeconds\": 0.25}");
      assertTrue(s.path("reached").asBoolean(), s.toPrettyString());
      assertFalse(s.path("slicesOverlapped").asBoolean(), s.toPrettyString());
      assertTrue(s.path("warning").asText().contains("one after another"), s.toPrettyString());
    }
  }

  @Test
  void invalidConfigsGet400NamingTheFieldAndWriteNothing() throws Exception {
    try (LocalRuntime rt = runtime(GatewaySettings.wellConfigured(1))) {
      long keysBefore = rt.functions().redis().call(j -> j.dbSize());
      URI setup = rt.gatewayUrl().resolve("/function/emnist-setup");
      String[][] cases = {
          {"{\"workers\": 0}", "workers: must be in 1..1024, got 0"},
          {"{\"nFetch\": 0}", "nFetch: must be ≥ 1, got 0"},
          {"{\"bogus\": 1}", "bogus: unknown field"},
          {"{\"batch\": \"big\"}", "batch: must be a whole number (32-bit), got \"big\""},
          {"{\"optimizer\": \"momentum\"}", "optimizer: the parameter store applies sgd or adagrad"},
          {"{\"dataDir\": \"/nowhere\"}", "dataDir: /nowhere: data directory not found"},
          {"not json", "body: not JSON ("}};
      for (String[] c : cases) {
        HttpResponse<String> r = post(rt, setup, c[0]);
        assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
        assertTrue(JSON.readTree(r.body()).path("error").asText().contains(c[1]), c[0] + " -> " + r.body());
      }
      long keysAfter = rt.functions().redis().call(j -> j.dbSize());
      assertEquals(keysBefore, keysAfter, "a refused config wrote to Redis");
      HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(setup + "?job=nope"))
          .header("Authorization", "Bearer " + rt.apiToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode());
      assertEquals("no such job 'nope' in the parameter store", JSON.readTree(missing.body()).path("error").asText());
      HttpResponse<String> badTrain = post(rt, rt.gatewayUrl().resolve("/function/emnist-train"), "{}");
      assertEquals(400, badTrain.statusCode());
    }
  }
}
