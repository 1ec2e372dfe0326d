package dev.emnistfaas.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on emnist-setup and emnist-predict through the real OpenFaaS CE gateway (see {@link CeHarness}), by a
 * caller without the API token: each attack, the answer (status and message), the log line it leaves, and proof
 * that a job attacked while it runs finishes as an unattacked one does (target reached, updates equal to the
 * saved pushes, no slice re-run).
 */
class AttackTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String NO_TOKEN = "no API token: send Authorization: Bearer TOKEN, TOKEN being the "
      + "emnist-api-token secret";

  @BeforeEach
  void skipWithoutTheBinaries() throws IOException, InterruptedException {
    CeHarness.assumeUpstreamBinaries();
  }

  /** An attack: what it sent, and the answer it must get. */
  private record Attack(String name, String path, String body, String authorization, int status, String error) {}

  private static HttpResponse<String> send(URI gateway, Attack a) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(gateway.resolve(a.path())).timeout(Duration.ofSeconds(60))
        .header("Accept", "application/json");
    if (a.authorization() != null) {
      b.header("Authorization", a.authorization());
    }
    b = a.body() == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(a.body()));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void callersWithoutTheTokenChangeAndReadNothingAndTheJobFinishesAsIfUnattacked() throws Exception {
    try (CeHarness h = CeHarness.up(CeHarness.Setup.clusterLike())) {
      URI g = h.gateway();
      String keysBefore = h.redis("DBSIZE");
      List<Attack> beforeAnyJob = List.of(
          new Attack("create without a token", "/function/emnist-setup", "{\"workers\": 64}", null, 401, NO_TOKEN),
          new Attack("create with a wrong token", "/function/emnist-setup", "{}", "Bearer " + CeHarness.API_TOKEN
              .substring(1) + "0", 401, "wrong API token"),
          new Attack("create with basic auth", "/function/emnist-setup", "{}", "Basic YWRtaW46YWRtaW4=", 401,
              "the Authorization header is not a bearer token: send Authorization: Bearer TOKEN"),
          new Attack("list the jobs", "/function/emnist-setup", null, null, 401, NO_TOKEN));
      for (Attack a : beforeAnyJob) {
        assertAnswered(g, a);
      }
      assertEquals(keysBefore, h.redis("DBSIZE"), "a refused request wrote to Redis");

      JobWatch job = JobWatch.start(g, "{\"workers\": 3}");
      List<Attack> whileItRuns = new ArrayList<>(List.of(
          new Attack("cancel", "/function/emnist-setup?job=" + job.id + "&cancel=1", null, null, 401, NO_TOKEN),
          new Attack("cancel with a wrong token", "/function/emnist-setup?job=" + job.id + "&cancel=1", null,
              "Bearer guessed-token-0123456789", 401, "wrong API token"),
          new Attack("read its status", "/function/emnist-setup?job=" + job.id, null, null, 401, NO_TOKEN),
          new Attack("guess a job id", "/function/emnist-setup?job=00000000", null, null, 401, NO_TOKEN),
          new Attack("list the models", "/function/emnist-predict?models=1", null, null, 401, NO_TOKEN),
          new Attack("read with its model", "/function/emnist-predict", "{\"pixels\": [0], \"job\": \"" + job.id
              + "\"}", null, 401, NO_TOKEN)));
      for (Attack a : whileItRuns) {
        assertAnswered(g, a);
      }
      JsonNode s = job.awaitDone(Duration.ofSeconds(240), Duration.ofMillis(250));
      assertTrue(s.path("reached").asBoolean(), "the attacked job did not reach its target: " + s.toPrettyString());
      assertFalse(s.path("cancelled").asBoolean(), s.toPrettyString());
      long saved = 0;
      for (JsonNode w : s.path("workers")) {
        saved += w.path("pushes").asLong();
      }
      assertEquals(Long.toString(saved), h.redisGet("emnist:{" + job.id + ":0}:updates"),
          "updates against the workers' saved pushes");
      assertEquals(0, s.path("duplicateCalls").asLong(), s.toPrettyString());

      String setupLog = h.podLog("emnist-setup-0");
      String predictLog = h.podLog("emnist-predict-0");
      assertTrue(setupLog.contains("emnist-setup: HTTP 401 for a new job: " + NO_TOKEN), setupLog);
      assertTrue(setupLog.contains("emnist-setup: HTTP 401 for cancelling job " + job.id + ": wrong API token"),
          setupLog);
      assertTrue(predictLog.contains("emnist-predict: HTTP 401 for the list of models: " + NO_TOKEN), predictLog);
      assertFalse((setupLog + predictLog).contains(CeHarness.API_TOKEN), "a pod logged the API token");
      System.out.printf("E2E attacks without the token: %d refused with 401 and logged; the attacked job reached "
          + "%.0f %% after %.1f s, updates %d = saved pushes%n", beforeAnyJob.size() + whileItRuns.size(),
          100 * s.path("targetAccuracy").asDouble(), s.path("secondsToTarget").asDouble(), saved);
    }
  }

  private static void assertAnswered(URI gateway, Attack a) throws IOException, InterruptedException {
    HttpResponse<String> r = send(gateway, a);
    assertEquals(a.status(), r.statusCode(), a.name() + ": " + r.body());
    assertEquals(a.error(), CeHarness.parse(r.body()).path("error").asText(), a.name());
    if (a.status() == 401) {
      assertEquals("Bearer realm=\"emnist\"", r.headers().firstValue("WWW-Authenticate").orElse(""),
          a.name() + ": the gateway passed no WWW-Authenticate");
    }
    System.out.println("E2E attack '" + a.name() + "': HTTP " + r.statusCode() + " " + r.body());
  }
}
