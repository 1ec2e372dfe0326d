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
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
      long saved = assertFinishedAsIfUnattacked(h, job, s);

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

  /**
   * The calls between the functions on the real components: what the CE queue-worker passes on to a callback
   * (recorded at the harness's callback sink), then emnist-train calls and callbacks that are unsigned, forged,
   * altered, for another job's worker, expired or replayed, bodies too large or malformed for every function, and
   * a flood of job creations past the quota, all while a job runs: each refused with its 4xx and one log line,
   * and the job finishes as if unattacked.
   */
  @Test
  void internalCallsAreTakenOnlySignedAndOnceAndTheJobFinishesAsIfUnattacked() throws Exception {
    try (CeHarness h = CeHarness.up(CeHarness.Setup.clusterLike().withEnv(Map.of("max_running_jobs", "1")))) {
      URI g = h.gateway();
      // 1. What a callback carries: an async call whose callback goes to the sink (a signed call of a job that does
      // not exist: emnist-train answers 404, and the queue-worker posts that).
      String query = "callback=1&job=feedf00d&worker=0&slice=1&" + sign("CALLBACK", "feedf00d", 0, 1).query();
      HttpResponse<String> queued = HTTP.send(HttpRequest.newBuilder(g.resolve("/async-function/emnist-train"))
          .header("X-Callback-Url", "http://callback-sink:8099/sink?" + query)
          .POST(HttpRequest.BodyPublishers.ofString(sign("TRAIN_CALL", "feedf00d", 0, 1).body("feedf00d", 0, 1)))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(202, queued.statusCode(), queued.body());
      String callId = queued.headers().firstValue("X-Call-Id").orElseThrow();
      JsonNode seen = awaitCallback(h, callId);
      assertEquals("POST", seen.path("method").asText());
      assertEquals("/sink?" + query, seen.path("path").asText(), "the queue-worker changed the callback URL");
      JsonNode headers = lowerCase(seen.path("headers"));
      assertEquals("404", headers.path("x-function-status").asText(), seen.toString());
      assertEquals("emnist-train", headers.path("x-function-name").asText(), seen.toString());
      assertTrue(headers.has("x-duration-seconds"), seen.toString());
      assertTrue(seen.path("body").asText().contains("no such job 'feedf00d'"), seen.toString());
      System.out.println("E2E what the CE queue-worker posts to a callback: " + seen);

      // 2. Before the job: emnist-train called straight through the gateway (pods idle, so no 429 can hide the
      // answer), and a flood past the quota once the job runs.
      List<Attack> trainCalls = List.of(
          new Attack("emnist-train unsigned", "/function/emnist-train", "{\"job\": \"feedf00d\", \"worker\": 0, "
              + "\"slice\": 1}", null, 403, null),
          new Attack("emnist-train forged", "/function/emnist-train", new Signed(now(), "00".repeat(12),
              "ab".repeat(32)).body("feedf00d", 0, 1), null, 403, null),
          new Attack("emnist-train altered (worker 0's signature, worker 1)", "/function/emnist-train",
              sign("TRAIN_CALL", "feedf00d", 0, 1).body("feedf00d", 1, 1), null, 403, null),
          new Attack("emnist-train with a callback's signature", "/function/emnist-train",
              sign("CALLBACK", "feedf00d", 0, 1).body("feedf00d", 0, 1), null, 403, null),
          new Attack("emnist-train signed two days ago", "/function/emnist-train", new Signed(now() - 2 * 86_400_000L,
              "00".repeat(12), null).resign("TRAIN_CALL", "feedf00d", 0, 1).body("feedf00d", 0, 1), null, 403, null),
          new Attack("emnist-train not JSON", "/function/emnist-train", "{\"job\": ", null, 400, null),
          new Attack("emnist-train 1 MB", "/function/emnist-train", "{\"job\": \"" + "a".repeat(1 << 20) + "\"}",
              null, 413, null),
          new Attack("emnist-setup 1 MB", "/function/emnist-setup", "{\"split\": \"" + "a".repeat(1 << 20) + "\"}",
              "Bearer " + CeHarness.API_TOKEN, 413, null),
          new Attack("emnist-setup not JSON", "/function/emnist-setup", "{\"workers\": ", "Bearer "
              + CeHarness.API_TOKEN, 400, null),
          new Attack("emnist-predict 5 MB", "/function/emnist-predict", "{\"pixels\": [" + "0,".repeat(5 << 19)
              + "0]}", "Bearer " + CeHarness.API_TOKEN, 413, null),
          new Attack("emnist-predict not JSON", "/function/emnist-predict", "{\"pixels\": ", "Bearer "
              + CeHarness.API_TOKEN, 400, null));
      String keysBefore = h.redis("DBSIZE");
      for (Attack a : trainCalls) {
        assertAnswered(g, a);
      }
      assertEquals(keysBefore, h.redis("DBSIZE"), "a refused call wrote to Redis");

      JobWatch job = JobWatch.start(g, "{\"workers\": 3}");
      String jobsBefore = h.redis("ZCARD", "emnist:jobs");
      for (int i = 0; i < 20; i++) {
        assertAnswered(g, new Attack("job creation " + (i + 1) + " of 20 past max_running_jobs=1", "/function/emnist-setup",
            "{\"workers\": 1}", "Bearer " + CeHarness.API_TOKEN, 429, null));
      }
      assertEquals(jobsBefore, h.redis("ZCARD", "emnist:jobs"), "a job past the quota was written");

      // 3. Callbacks while it runs: forged, altered to another job's worker, and replayed from the queue-worker's
      // own log (it prints each callback URL it posts to).
      String other = "0badc0de";
      List<Attack> callbacks = List.of(
          new Attack("callback unsigned", "/function/emnist-setup?callback=1&job=" + job.id + "&worker=0&slice=1",
              "", null, 403, null),
          new Attack("callback forged", "/function/emnist-setup?callback=1&job=" + job.id + "&worker=0&slice=1&"
              + new Signed(now(), "00".repeat(12), "cd".repeat(32)).query(), "", null, 403, null),
          new Attack("callback of another job's worker", "/function/emnist-setup?callback=1&job=" + job.id
              + "&worker=0&slice=2&" + sign("CALLBACK", other, 0, 2).query(), "", null, 403, null),
          new Attack("callback of another worker", "/function/emnist-setup?callback=1&job=" + job.id
              + "&worker=1&slice=2&" + sign("CALLBACK", job.id, 0, 2).query(), "", null, 403, null));
      for (Attack a : callbacks) {
        assertAnswered(g, a, "500");
      }
      String posted = awaitCallbackUrlInLog(h, job.id);
      URI replayed = g.resolve(URI.create(posted).getRawPath() + "?" + URI.create(posted).getRawQuery());
      String replay = replayed.getRawPath() + "?" + replayed.getRawQuery();
      assertAnswered(g, new Attack("callback replayed as it was posted", replay, "", null, 409, null), "200");
      assertAnswered(g, new Attack("callback replayed again", replay, "", null, 409, null), "200");

      JsonNode s = job.awaitDone(Duration.ofSeconds(240), Duration.ofMillis(250));
      long saved = assertFinishedAsIfUnattacked(h, job, s);
      assertEquals(List.of(), job.serverErrors());
      // After the job: a valid call of a slice that ran, sent again (the platform's redelivery looks the same).
      assertAnswered(g, new Attack("emnist-train replayed after its slice ran", "/function/emnist-train",
          sign("TRAIN_CALL", job.id, 0, 1).body(job.id, 0, 1), null, 409, null));
      assertEquals(1, CeHarness.parse(job.poll().body()).path("duplicateCalls").asLong(),
          "the replayed call is counted as what it is: a duplicate delivery");

      String setupLog = h.podLog("emnist-setup-0");
      String trainLogs = h.podLog("emnist-train-0") + h.podLog("emnist-train-1") + h.podLog("emnist-train-2");
      // Every real callback of the job passed; only the attacks were refused.
      Matcher refused = Pattern.compile("emnist-setup: HTTP 403 for the callback").matcher(setupLog);
      int refusedCallbacks = 0;
      while (refused.find()) {
        refusedCallbacks++;
      }
      assertEquals(callbacks.size(), refusedCallbacks, setupLog);
      assertTrue(setupLog.contains("emnist-setup: HTTP 409 for the callback for job " + job.id), setupLog);
      assertTrue(setupLog.contains("emnist-setup: HTTP 429 for a new job: "), setupLog);
      assertTrue(trainLogs.contains("emnist-train: HTTP 403 for job feedf00d worker 0 slice 1: unsigned"), trainLogs);
      assertTrue(trainLogs.contains("emnist-train: HTTP 409 for job " + job.id + " worker 0 slice 1: slice 1 of "
          + "worker 0 of job " + job.id + " already ran"), trainLogs);
      System.out.printf("E2E attacks on the calls between the functions: %d refused and logged; the attacked job "
          + "reached %.0f %% after %.1f s, updates %d = saved pushes, no duplicate call but the replayed one%n",
          trainCalls.size() + 20 + callbacks.size() + 3, 100 * s.path("targetAccuracy").asDouble(),
          s.path("secondsToTarget").asDouble(), saved);
    }
  }

  /**
   * What an unattacked job shows at its end: the target reached, not cancelled, every saved push applied once
   * (updates = the workers' saved pushes) and no duplicate call. Returns the saved pushes.
   */
  private static long assertFinishedAsIfUnattacked(CeHarness h, JobWatch job, JsonNode s)
      throws IOException, InterruptedException {
    assertTrue(s.path("reached").asBoolean(), "the attacked job did not reach its target: " + s.toPrettyString());
    assertFalse(s.path("cancelled").asBoolean(), s.toPrettyString());
    long saved = 0;
    for (JsonNode w : s.path("workers")) {
      saved += w.path("pushes").asLong();
    }
    assertEquals(Long.toString(saved), h.redisGet("emnist:{" + job.id + ":0}:updates"),
        "updates against the workers' saved pushes");
    assertEquals(0, s.path("duplicateCalls").asLong(), s.toPrettyString());
    return saved;
  }

  /** Now, as a signature's time: epoch milliseconds. */
  private static long now() {
    return System.currentTimeMillis();
  }

  /** A signature as the functions make them (SignedCalls), computed here on its own from the key. */
  private record Signed(long issued, String nonce, String mac) {
    String query() {
      return "issued=" + issued + "&nonce=" + nonce + "&signature=" + mac;
    }

    String body(String job, int worker, int slice) {
      return CeHarness.JSON.createObjectNode().put("job", job).put("worker", worker).put("slice", slice)
          .put("issued", issued).put("nonce", nonce).put("signature", mac).toString();
    }

    /** This signature's time and nonce, signed for {@code kind} of the slice. */
    Signed resign(String kind, String job, int worker, int slice) throws Exception {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(CeHarness.CALL_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String message = String.join("\n", "emnist-faas/1", kind, job, "" + worker, "" + slice, "" + issued, nonce);
      return new Signed(issued, nonce, HexFormat.of().formatHex(m.doFinal(message.getBytes(StandardCharsets.UTF_8))));
    }
  }

  private static Signed sign(String kind, String job, int worker, int slice) throws Exception {
    byte[] nonce = new byte[12];
    new SecureRandom().nextBytes(nonce);
    return new Signed(now(), HexFormat.of().formatHex(nonce), null).resign(kind, job, worker, slice);
  }

  private static JsonNode awaitCallback(CeHarness h, String callId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode c : h.callbacksAtTheSink()) {
        if (callId.equals(lowerCase(c.path("headers")).path("x-call-id").asText())) {
          return c;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no callback for call " + callId + " at the sink: " + h.callbacksAtTheSink());
  }

  private static JsonNode lowerCase(JsonNode headers) {
    var out = CeHarness.JSON.createObjectNode();
    headers.fields().forEachRemaining(e -> out.set(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
    return out;
  }

  /**
   * A callback URL of {@code job} that a queue-worker logged as posted for a call the function answered 200 (its
   * log numbers each message: "[#N] Invoked: emnist-train [200]", then "[#N] Posted result ... to callback-url").
   */
  private static String awaitCallbackUrlInLog(CeHarness h, String job) throws Exception {
    Pattern invoked = Pattern.compile("\\[#(\\d+)\\] Invoked: emnist-train \\[200\\]");
    Pattern posted = Pattern.compile("\\[#(\\d+)\\] Posted result for emnist-train to callback-url: "
        + "(\\S+\\?callback=1&job=" + job + "&\\S+), status: 200");
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      for (String log : h.queueWorkerLogs()) {
        java.util.Set<String> answered200 = new java.util.HashSet<>();
        Matcher i = invoked.matcher(log);
        while (i.find()) {
          answered200.add(i.group(1));
        }
        Matcher m = posted.matcher(log);
        while (m.find()) {
          if (answered200.contains(m.group(1))) {
            return m.group(2);
          }
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no queue-worker logged a callback of job " + job + " for a call answered 200");
  }

  private static void assertAnswered(URI gateway, Attack a) throws IOException, InterruptedException {
    assertAnswered(gateway, a, null);
  }

  /** {@code functionStatus}: sent as X-Function-Status, as the queue-worker does with a callback. */
  private static void assertAnswered(URI gateway, Attack a, String functionStatus)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(gateway.resolve(a.path())).timeout(Duration.ofSeconds(60))
        .header("Accept", "application/json");
    if (a.authorization() != null) {
      b.header("Authorization", a.authorization());
    }
    if (functionStatus != null) {
      b.header("X-Function-Status", functionStatus);
    }
    b = a.body() == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(a.body()));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(a.status(), r.statusCode(), a.name() + ": " + r.body());
    assertTrue(CeHarness.parse(r.body()).path("error").isTextual(), a.name() + ": " + r.body());
    if (a.error() != null) {
      assertEquals(a.error(), CeHarness.parse(r.body()).path("error").asText(), a.name());
    }
    if (a.status() == 401) {
      assertEquals("Bearer realm=\"emnist\"", r.headers().firstValue("WWW-Authenticate").orElse(""),
          a.name() + ": the gateway passed no WWW-Authenticate");
    }
    String shown = r.body().length() > 300 ? r.body().substring(0, 300) + "…" : r.body();
    System.out.println("E2E attack '" + a.name() + "': HTTP " + r.statusCode() + " " + shown);
  }
}
