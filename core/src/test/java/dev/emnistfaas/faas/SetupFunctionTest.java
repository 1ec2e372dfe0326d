package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import dev.emnistfaas.RealData;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** emnist-setup's answers to bodies people and probes send, on a real (embedded) Redis. */
class SetupFunctionTest {
  private static EmbeddedRedis server;
  private static FunctionRuntime runtime;
  private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
  private static SetupFunction setup;

  @BeforeAll
  static void start() {
    server = EmbeddedRedis.start();
    runtime = runtime(new ApiAccess(Optional.of(TOKEN), ApiAccess.ReadAccess.TOKEN), new Quotas(8, 1000, 2_000_000));
    setup = new SetupFunction(runtime, new PrintStream(LOG, true, StandardCharsets.UTF_8));
  }

  @AfterAll
  static void stop() {
    runtime.close();
    server.close();
  }

  private static final String TOKEN = "0123456789abcdef-test-token";
  private static final Map<String, String> AUTHORIZED = Map.of("Authorization", "Bearer " + TOKEN);

  /** A runtime on the test's Redis with no gateway listening: a body that got as far as starting workers fails. */
  private static FunctionRuntime runtime(ApiAccess access, Quotas quotas) {
    return new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"), URI.create("http://127.0.0.1:9"),
        Optional.empty(), RedisSettings.local(server.url()), Duration.ofHours(1),
        TrainingConfig.downpourDefaults(RealData.dir().toString()), access, quotas,
        SignedCalls.withKey(CALL_KEY, Duration.ofHours(1), Clock.systemUTC())));
  }

  /** The key of the runtime's signed calls (the emnist-call-key secret), so that a case can sign as a pod does. */
  static final String CALL_KEY = "test-call-key-0123456789abcdef0123456789";

  private static long keys() {
    return runtime.redis().call(j -> j.dbSize());
  }

  private static IResponse post(String body) {
    return setup.handle(new Request(body, AUTHORIZED));
  }

  private static JsonNode json(IResponse r) throws Exception {
    return JsonResponse.JSON.readTree(r.getBody());
  }

  /** Refused with 400, naming every problem given, in our words, and nothing written to Redis. */
  private static void assertRefused(String body, String... problems) throws Exception {
    long before = keys();
    IResponse r = post(body);
    assertEquals(400, r.getStatusCode(), r.getBody());
    JsonNode answer = json(r);
    List<String> listed = new java.util.ArrayList<>();
    answer.path("problems").forEach(p -> listed.add(p.asText()));
    assertEquals(List.of(problems), listed, r.getBody());
    assertFalse(r.getBody().contains("com.fasterxml") || r.getBody().contains("Coercion"), r.getBody());
    assertEquals(before, keys(), "a refused body wrote to Redis");
  }

  @Test
  void badBodiesAreRefusedWithEveryProblemAtOnce() throws Exception {
    assertRefused("null", "body: must be a JSON object of config fields such as {\"workers\": 2}, got null");
    assertRefused("[1, 2]", "body: must be a JSON object of config fields such as {\"workers\": 2}, got [1,2]");
    assertRefused("{\"workers\": 2.5}", "workers: must be a whole number (32-bit), got 2.5");
    assertRefused("{\"batch\": \"abc\"}", "batch: must be a whole number (32-bit), got \"abc\"");
    assertRefused("{\"workers\": 2.5, \"batch\": 0, \"dropout\": true}",
        "workers: must be a whole number (32-bit), got 2.5", "dropout: must be a number, got true",
        "batch: must be in 1..4096, got 0");
    IResponse unknown = post("{\"wrokers\": 2, \"workers\": 0}");
    assertEquals(400, unknown.getStatusCode());
    JsonNode p = json(unknown).path("problems");
    assertEquals(2, p.size(), unknown.getBody());
    assertTrue(p.get(0).asText().startsWith("wrokers: unknown field (the fields are dataDir, split,"), p.toString());
    assertEquals("workers: must be in 1..1024, got 0", p.get(1).asText());
    IResponse notJson = post("{workers: 2");
    assertEquals(400, notJson.getStatusCode());
    assertTrue(json(notJson).path("problems").get(0).asText().startsWith("body: not JSON ("), notJson.getBody());
    assertTrue(LOG.toString(StandardCharsets.UTF_8).contains("emnist-setup: HTTP 400 for a new job: workers: must be "
        + "a whole number"), "refusals are not logged");
  }

  @Test
  void aBodyOverTheLimitIs413() {
    long before = keys();
    String big = "{\"split\": \"" + "x".repeat(SetupFunction.MAX_BODY_BYTES) + "\"}";
    IResponse r = post(big);
    assertEquals(413, r.getStatusCode(), r.getBody());
    assertTrue(r.getBody().contains("a config is at most 65536 bytes"), r.getBody());
    assertEquals(before, keys());
  }

  /** What a browser's GET sends: no job is started; the answer says how, and lists the jobs. */
  @Test
  void anEmptyBodyNeverStartsAJobButListsTheJobs() throws Exception {
    String job = runtime.jobs().create(runtime.settings().defaults());
    long before = keys();
    IResponse r = post("");
    assertEquals(200, r.getStatusCode(), r.getBody());
    JsonNode answer = json(r);
    assertTrue(answer.path("usage").get(0).asText().startsWith("start a job: POST a JSON object"), r.getBody());
    assertEquals(job, answer.path("jobs").get(0).path("job").asText(), r.getBody());
    assertEquals("running", answer.path("jobs").get(0).path("state").asText());
    assertEquals(0.0, answer.path("jobs").get(0).path("bestAccuracy").asDouble(), r.getBody());
    assertEquals(0.75, answer.path("jobs").get(0).path("targetAccuracy").asDouble(), r.getBody());
    assertEquals("", answer.path("jobs").get(0).path("outcome").asText(), r.getBody());
    assertEquals(2, answer.path("defaults").path("workers").asInt());
    assertEquals(before, keys(), "an empty body wrote to Redis");
  }

  @Test
  void aBrowserGetsPagesThatLoadOnlyWhatTheFunctionServes() throws Exception {
    long before = keys();
    IResponse list = setup.handle(new Request("", Map.of("accept", "text/html,application/xhtml+xml")));
    assertEquals(200, list.getStatusCode());
    assertTrue(list.getContentType().startsWith("text/html"), list.getContentType());
    assertTrue(list.getBody().contains("training jobs"), list.getBody());
    IResponse page = setup.handle(new Request("", Map.of("Accept", "text/html"), "job=abc", "/"));
    assertTrue(page.getBody().contains("id=\"accuracy\""), page.getBody());
    for (IResponse r : List.of(list, page)) {
      assertFalse(r.getBody().contains("http://") || r.getBody().contains("https://"),
          "a page loads something from elsewhere");
      // An icon of its own (empty), so that the browser does not ask the gateway for /favicon.ico (404).
      assertTrue(r.getBody().contains("<link rel=\"icon\" href=\"data:,\">"), r.getBody());
    }
    // The chart library comes from its WebJar, served by the function.
    IResponse uplot = setup.handle(new Request("", Map.of(), "asset=uPlot.iife.min.js", "/"));
    assertEquals(200, uplot.getStatusCode());
    assertTrue(uplot.getContentType().startsWith("text/javascript"));
    assertTrue(uplot.getBody().contains("uPlot"));
    assertEquals(404, setup.handle(new Request("", Map.of(), "asset=pages/job.html", "/")).getStatusCode());
    // Scripts and curl (no Accept for HTML) still get JSON; the job page's own fetches ask for JSON.
    assertEquals(404, setup.handle(new Request("", Map.of("Accept", "application/json", "Authorization",
        "Bearer " + TOKEN), "job=abc", "/")).getStatusCode());
    // The pages hold no data and come to anyone; their data calls carry the token (auth.js).
    IResponse auth = setup.handle(new Request("", Map.of(), "asset=auth.js", "/"));
    assertTrue(auth.getBody().contains("Authorization: 'Bearer '"), auth.getBody());
    assertEquals(before, keys(), "a page wrote to Redis");
  }

  /** 401 with one line, logged, WWW-Authenticate named, and nothing written. */
  private static void assertUnauthorized(SetupFunction function, Map<String, String> headers, String query,
      String body, String reason) {
    long before = keys();
    IResponse r = function.handle(new Request(body, headers, query, "/"));
    assertEquals(401, r.getStatusCode(), r.getBody());
    assertEquals("{\"error\":\"" + reason + "\"}", r.getBody());
    assertEquals("Bearer realm=\"emnist\"", r.getHeaders().get("WWW-Authenticate"));
    assertTrue(LOG.toString(StandardCharsets.UTF_8).contains(": HTTP 401 for "), "a refusal was not logged");
    assertFalse(LOG.toString(StandardCharsets.UTF_8).contains(TOKEN), "the token was logged");
    assertEquals(before, keys(), "a refused request wrote to Redis");
  }

  @Test
  void creatingCancellingAndReadingWantTheToken() throws Exception {
    String job = runtime.jobs().create(runtime.settings().defaults());
    String none = "no API token: send Authorization: Bearer TOKEN, TOKEN being the emnist-api-token secret";
    assertUnauthorized(setup, Map.of(), "", "{\"workers\": 1}", none);
    assertUnauthorized(setup, Map.of("Authorization", "Bearer " + TOKEN + "x"), "", "{}", "wrong API token");
    assertUnauthorized(setup, Map.of("authorization", "Basic " + TOKEN), "", "{}",
        "the Authorization header is not a bearer token: send Authorization: Bearer TOKEN");
    assertUnauthorized(setup, Map.of("Authorization", "Bearer " + TOKEN.substring(1)), "job=" + job + "&cancel=1",
        "", "wrong API token");
    assertFalse(runtime.jobs().jobStore().stopReason(job).isPresent(), "an unauthorised cancel stopped the job");
    assertUnauthorized(setup, Map.of(), "job=" + job, "", none);
    assertUnauthorized(setup, Map.of(), "", "", none);
    // The token in any letter case of the scheme, and the job is cancelled.
    IResponse cancelled = setup.handle(new Request("", Map.of("authorization", "bearer " + TOKEN),
        "job=" + job + "&cancel=1", "/"));
    assertEquals(200, cancelled.getStatusCode(), cancelled.getBody());
    assertTrue(runtime.jobs().jobStore().stopReason(job).isPresent());
  }

  @Test
  void publicReadsStillWantTheTokenToChangeThings() throws Exception {
    try (FunctionRuntime open = runtime(new ApiAccess(Optional.of(TOKEN), ApiAccess.ReadAccess.PUBLIC),
        new Quotas(8, 1000, 2_000_000))) {
      SetupFunction function = new SetupFunction(open, new PrintStream(LOG, true, StandardCharsets.UTF_8));
      String job = open.jobs().create(open.settings().defaults());
      IResponse status = function.handle(new Request("", Map.of(), "job=" + job, "/"));
      assertEquals(200, status.getStatusCode(), status.getBody());
      assertEquals(job, json(status).path("job").asText());
      assertUnauthorized(function, Map.of(), "job=" + job + "&cancel=1", "",
          "no API token: send Authorization: Bearer TOKEN, TOKEN being the emnist-api-token secret");
      assertUnauthorized(function, Map.of(), "", "{}",
          "no API token: send Authorization: Bearer TOKEN, TOKEN being the emnist-api-token secret");
    }
  }

  @Test
  void withoutAUsableSecretNothingIsLetThrough() throws Exception {
    for (Optional<String> secret : List.of(Optional.<String>empty(), Optional.of("short"))) {
      try (FunctionRuntime closed = runtime(new ApiAccess(secret, ApiAccess.ReadAccess.PUBLIC), Quotas.DEFAULT)) {
        SetupFunction function = new SetupFunction(closed, new PrintStream(LOG, true, StandardCharsets.UTF_8));
        long before = keys();
        IResponse r = function.handle(new Request("{}", Map.of("Authorization", "Bearer short")));
        assertEquals(503, r.getStatusCode(), r.getBody());
        assertTrue(json(r).path("error").asText().startsWith("this function has no usable API token to check "
            + "callers against: create the OpenFaaS secret emnist-api-token (at least 16 characters"), r.getBody());
        assertEquals(before, keys());
      }
    }
  }

  @Test
  void quotasRefuseBeforeAnythingIsWritten() throws Exception {
    assertRefused("{\"workers\": 9}", "workers: 9 is past this installation's limit of 8 workers per job "
        + "(max_workers_per_job)");
    assertRefused("{\"network\": \"c64k5-c64k5-f512\"}", "network: c64k5-c64k5-f512 has 25818863 parameters, "
        + "past this installation's limit of 2000000 (max_parameters)");
    int running = runtime.jobs().runningJobs();
    try (FunctionRuntime full = runtime(new ApiAccess(Optional.of(TOKEN), ApiAccess.ReadAccess.TOKEN),
        new Quotas(8, Math.max(1, running), 2_000_000))) {
      if (running == 0) {
        full.jobs().create(full.settings().defaults());
      }
      SetupFunction function = new SetupFunction(full, new PrintStream(LOG, true, StandardCharsets.UTF_8));
      long before = keys();
      IResponse r = function.handle(new Request("{}", AUTHORIZED));
      assertEquals(429, r.getStatusCode(), r.getBody());
      assertTrue(json(r).path("error").asText().contains(" running, this installation's limit "
          + "(max_running_jobs="), r.getBody());
      assertEquals(before, keys());
    }
  }

  /** A callback as the queue-worker posts it: the signed URL's query, and X-Function-Status. */
  private static IResponse callback(String query, int status) {
    return setup.handle(new Request("", Map.of("X-Function-Status", "" + status, "X-Call-Id", "call-" + query.hashCode()),
        query, "/"));
  }

  private static String signedQuery(SignedCalls signer, String job, int worker, int slice) {
    SignedCalls.Signature s = signer.sign(new SignedCalls.Subject(SignedCalls.Kind.CALLBACK, job, worker, slice));
    return "callback=1&job=" + job + "&worker=" + worker + "&slice=" + slice + "&" + s.query();
  }

  /** 403 or 409 with {@code reason}, logged, and nothing written to Redis. */
  private static void assertCallbackRefused(String query, int status, int code, String reason) throws Exception {
    long before = keys();
    int logged = LOG.size();
    IResponse r = callback(query, status);
    assertEquals(code, r.getStatusCode(), r.getBody());
    assertTrue(json(r).path("error").asText().contains(reason), r.getBody());
    assertTrue(LOG.toString(StandardCharsets.UTF_8).substring(logged).contains("emnist-setup: HTTP " + code
        + " for the callback for job "), "the refusal was not logged");
    assertEquals(before, keys(), "a refused callback wrote to Redis");
  }

  /**
   * The platform's callbacks queue a dropped slice again only when signed for that job, worker and slice, and once:
   * unsigned, forged, altered, expired and replayed callbacks are refused, logged, and write nothing.
   */
  @Test
  void onlySignedCallbacksQueueSlicesAndEachOnlyOnce() throws Exception {
    String job = runtime.jobs().create(runtime.settings().defaults());
    String other = runtime.jobs().create(runtime.settings().defaults());
    SignedCalls signer = runtime.settings().calls();
    String valid = signedQuery(signer, job, 1, 1);
    assertCallbackRefused("callback=1&job=" + job + "&worker=1&slice=1", 500, 403, "carries no signature");
    assertCallbackRefused(valid.replace("signature=", "signature=zz"), 500, 403, "malformed signature");
    assertCallbackRefused(valid.replaceAll("signature=[0-9a-f]{4}", "signature=0000"), 500, 403,
        "the signature does not match");
    // The same signature on another worker, slice or job: altered.
    assertCallbackRefused(valid.replace("worker=1", "worker=0"), 500, 403, "the signature does not match the "
        + "callback of slice 1 of worker 0 of job " + job);
    assertCallbackRefused(valid.replace("slice=1", "slice=2"), 503, 403, "the signature does not match");
    assertCallbackRefused(valid.replace("job=" + job, "job=" + other), 429, 403, "the signature does not match");
    // Another key's signature: forged.
    SignedCalls stranger = SignedCalls.withKey("another-key-0123456789abcdef0123456789", Duration.ofHours(1),
        Clock.systemUTC());
    assertCallbackRefused(signedQuery(stranger, job, 1, 1), 500, 403, "the signature does not match");
    // An emnist-train call's signature does not pass for a callback's.
    SignedCalls.Signature call = signer.sign(new SignedCalls.Subject(SignedCalls.Kind.TRAIN_CALL, job, 1, 1));
    assertCallbackRefused("callback=1&job=" + job + "&worker=1&slice=1&" + call.query(), 500, 403,
        "the signature does not match");
    // Signed with the right key, but longer ago than a job lives.
    SignedCalls past = SignedCalls.withKey(CALL_KEY, Duration.ofHours(1),
        Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC));
    assertCallbackRefused(signedQuery(past, job, 1, 1), 500, 403, "longer ago than a job lives");
    assertEquals(0, runtime.jobs().jobStore().count(job, dev.emnistfaas.ps.JobStore.Counter.REENQUEUED));

    IResponse first = callback(valid, 429);
    assertEquals(200, first.getStatusCode(), first.getBody());
    assertTrue(json(first).path("requeued").asBoolean(), first.getBody());
    assertEquals(1, runtime.jobs().jobStore().count(job, dev.emnistfaas.ps.JobStore.Counter.REENQUEUED));
    // The slice is queued again on a timer: it notes its call in Redis before it meets the gateway (none here).
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (runtime.redis().call(j -> j.get("emnist:{" + job + "}:call:1")) == null) {
      assertTrue(System.nanoTime() < deadline, "the dropped slice was not queued again");
      Thread.sleep(20);
    }
    assertCallbackRefused(valid, 429, 409, "this callback was used already (HTTP 429): a replayed callback");
    assertCallbackRefused(valid, 502, 409, "this callback was used already");
    assertEquals(1, runtime.jobs().jobStore().count(job, dev.emnistfaas.ps.JobStore.Counter.REENQUEUED));
    // The status is the queue-worker's header, not signed: the same URL may end once the other way (a redelivered
    // call's callback), and then no more.
    IResponse ended = callback(valid, 200);
    assertEquals(200, ended.getStatusCode(), ended.getBody());
    assertFalse(json(ended).path("requeued").asBoolean(), ended.getBody());
    assertCallbackRefused(valid, 200, 409, "this callback was used already (HTTP 200)");
    assertEquals(1, runtime.jobs().jobStore().count(job, dev.emnistfaas.ps.JobStore.Counter.REENQUEUED));
  }

  @Test
  void withoutTheCallKeyNoJobStarts() throws Exception {
    try (FunctionRuntime unsigned = new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"),
        URI.create("http://127.0.0.1:9"), Optional.empty(), RedisSettings.local(server.url()), Duration.ofHours(1),
        TrainingConfig.downpourDefaults(RealData.dir().toString()), new ApiAccess(Optional.of(TOKEN),
        ApiAccess.ReadAccess.TOKEN), Quotas.DEFAULT, SignedCalls.withKey("too short", Duration.ofHours(1),
        Clock.systemUTC())))) {
      SetupFunction function = new SetupFunction(unsigned, new PrintStream(LOG, true, StandardCharsets.UTF_8));
      long before = keys();
      IResponse r = function.handle(new Request("{}", AUTHORIZED));
      assertEquals(503, r.getStatusCode(), r.getBody());
      assertTrue(json(r).path("error").asText().contains("create the OpenFaaS secret emnist-call-key (at least 32 "
          + "characters"), r.getBody());
      assertEquals(before, keys());
    }
  }
}
