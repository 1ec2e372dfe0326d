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
import java.time.Duration;
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
    // No gateway listens there: a body that got as far as starting workers would fail the test.
    runtime = new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"),
        URI.create("http://127.0.0.1:9"), Optional.empty(),
        RedisSettings.local(server.url()), Duration.ofHours(1),
        TrainingConfig.downpourDefaults(RealData.dir().toString())));
    setup = new SetupFunction(runtime, new PrintStream(LOG, true, StandardCharsets.UTF_8));
  }

  @AfterAll
  static void stop() {
    runtime.close();
    server.close();
  }

  private static long keys() {
    return runtime.redis().call(j -> j.dbSize());
  }

  private static IResponse post(String body) {
    return setup.handle(new Request(body, Map.of()));
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
    }
    // The chart library comes from its WebJar, served by the function.
    IResponse uplot = setup.handle(new Request("", Map.of(), "asset=uPlot.iife.min.js", "/"));
    assertEquals(200, uplot.getStatusCode());
    assertTrue(uplot.getContentType().startsWith("text/javascript"));
    assertTrue(uplot.getBody().contains("uPlot"));
    assertEquals(404, setup.handle(new Request("", Map.of(), "asset=pages/job.html", "/")).getStatusCode());
    // Scripts and curl (no Accept for HTML) still get JSON; the job page's own fetches ask for JSON.
    assertEquals(404, setup.handle(new Request("", Map.of("Accept", "application/json"), "job=abc", "/"))
        .getStatusCode());
    assertEquals(before, keys(), "a page wrote to Redis");
  }
}
