package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import dev.emnistfaas.RealData;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.ModelFile;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.SingleProcessTrainer;
import dev.emnistfaas.train.TrainingConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * emnist-predict on a real (embedded) Redis, with a job whose best model was trained here on bymerge: it reads
 * evaluation characters given as pixels or as pictures, follows the job's best model, and refuses bad input in
 * our words.
 */
class PredictFunctionTest {
  private static EmbeddedRedis server;
  private static FunctionRuntime runtime;
  private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
  private static PredictFunction predict;
  private static String job;
  private static ParameterVector trained;
  private static LabeledImages eval;

  @BeforeAll
  static void start() {
    server = EmbeddedRedis.start();
    TrainingConfig defaults = TrainingConfig.downpourDefaults(RealData.dir().toString());
    runtime = new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"),
        URI.create("http://127.0.0.1:9"), Optional.empty(), RedisSettings.local(server.url()), Duration.ofHours(1),
        defaults, ACCESS, Quotas.DEFAULT, SignedCalls.ephemeral(Duration.ofHours(1))));
    predict = new PredictFunction(runtime, new PrintStream(LOG, true, StandardCharsets.UTF_8));
    eval = RealData.dataset().eval();
    SingleProcessTrainer trainer = new SingleProcessTrainer(TrainingConfig.defaults(RealData.dir().toString())
        .with(Map.of("hidden", defaults.hidden())), new PrintStream(new ByteArrayOutputStream()));
    var result = trainer.run(RealData.dataset().train(), eval);
    assertTrue(result.reached(), "the model for these tests did not reach 75 %");
    trained = trainer.parameters();
    job = runtime.jobs().create(defaults);
    runtime.jobs().jobStore().offerBest(job, result.finalAccuracy(), trained.toBytes());
  }

  @AfterAll
  static void stop() {
    runtime.close();
    server.close();
  }

  private static final String TOKEN = "predict-test-token-0123456789";
  private static final ApiAccess ACCESS = new ApiAccess(Optional.of(TOKEN), ApiAccess.ReadAccess.TOKEN);

  /** {@code headers} and the API token. */
  private static Map<String, String> authorized(Map<String, String> headers) {
    Map<String, String> all = new java.util.HashMap<>(headers);
    all.put("Authorization", "Bearer " + TOKEN);
    return all;
  }

  private static IResponse call(String body, Map<String, String> headers, Map<String, String> query) {
    return predict.handle(new Request(body, authorized(headers), toQuery(query), "/"));
  }

  private static String toQuery(Map<String, String> query) {
    StringBuilder sb = new StringBuilder();
    query.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "&").append(k).append('=').append(v));
    return sb.toString();
  }

  private static JsonNode json(IResponse r) throws IOException {
    return JsonResponse.JSON.readTree(r.getBody());
  }

  private static String pixelsBody(int[] upright, String field, String value) {
    ObjectNode body = JsonResponse.JSON.createObjectNode();
    ArrayNode pixels = body.putArray("pixels");
    for (int v : upright) {
      pixels.add(v);
    }
    if (field != null) {
      body.put(field, value);
    }
    return body.toString();
  }

  private static String png(int[] upright, int scale) throws IOException {
    int side = LabeledImages.SIDE;
    BufferedImage p = new BufferedImage(side * scale, side * scale, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < side * scale; y++) {
      for (int x = 0; x < side * scale; x++) {
        int v = 255 - upright[(y / scale) * side + x / scale];
        p.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(p, "png", out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static boolean right(JsonNode answer, int i) {
    return eval.mapping().character(eval.label(i)).contains(answer.path("top").path(0).path("char").asText("?"));
  }

  /** Refused with {@code status} and a message containing {@code words}; logged to stderr. */
  private static void assertRefused(int status, String words, IResponse r) throws IOException {
    assertEquals(status, r.getStatusCode(), r.getBody());
    String error = json(r).path("error").asText();
    assertTrue(error.contains(words), error);
    assertTrue(LOG.toString(StandardCharsets.UTF_8).contains(error), "not logged: " + error);
  }

  @Test
  void evaluationCharactersGivenAsPixelsAreReadAsTheJobsEvaluationScoredThem() throws IOException {
    int n = 400;
    int right = 0;
    for (int i = 0; i < n; i++) {
      IResponse r = call(pixelsBody(eval.upright(i), "job", job), Map.of(), Map.of());
      assertEquals(200, r.getStatusCode(), r.getBody());
      JsonNode answer = json(r);
      assertEquals(5, answer.path("top").size());
      assertEquals(job, answer.path("job").asText());
      right += right(answer, i) ? 1 : 0;
      if (i == 0) {
        // The image the network read, given back upright: exactly the pixels sent.
        int[] seen = new int[LabeledImages.PIXELS];
        for (int p = 0; p < seen.length; p++) {
          seen[p] = answer.path("image").path(p).asInt();
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(eval.upright(0), seen);
      }
    }
    System.out.printf("emnist-predict, pixels: %d of %d evaluation characters read right%n", right, n);
    assertTrue(right >= 0.72 * n, right + " of " + n);
  }

  @Test
  void picturesOfAnySizeArePreparedAsEmnistPreparedNistsAndReadToo() throws IOException {
    int n = 100;
    int right = 0;
    for (int i = 0; i < n; i++) {
      int scale = 3 + i % 12;
      IResponse r = i % 2 == 0
          ? call(png(eval.upright(i), scale), Map.of("Content-Type", "image/png"), Map.of("job", job))
          : call("{\"png\": \"data:image/png;base64," + png(eval.upright(i), scale) + "\", \"job\": \"" + job
              + "\"}", Map.of(), Map.of());
      assertEquals(200, r.getStatusCode(), r.getBody());
      right += right(json(r), i) ? 1 : 0;
    }
    System.out.printf("emnist-predict, pictures 84-392 pixels wide: %d of %d evaluation characters read right%n",
        right, n);
    assertTrue(right >= 0.7 * n, right + " of " + n);
  }

  /**
   * Pictures over 1024 pixels a side are read at every k-th pixel (a 4096-pixel one took 7 s to prepare in full,
   * holding the pod): they read as their small versions do.
   */
  @Test
  void largePicturesReadAsTheirSmallVersions() throws IOException {
    int same = 0;
    int n = 5;
    for (int i = 0; i < n; i++) {
      JsonNode small = json(call(png(eval.upright(i), 10), Map.of("Content-Type", "image/png"), Map.of("job", job)));
      JsonNode large = json(call(png(eval.upright(i), 110), Map.of("Content-Type", "image/png"), Map.of("job", job)));
      same += small.path("top").get(0).path("char").equals(large.path("top").get(0).path("char")) ? 1 : 0;
    }
    System.out.printf("emnist-predict, pictures 3080 pixels wide: %d of %d read as at 280 pixels%n", same, n);
    assertTrue(same >= n - 1, same + " of " + n);
  }

  @Test
  void aNewBestModelOfTheJobIsLoadedOnTheNextCall() throws IOException {
    String other = runtime.jobs().create(TrainingConfig.downpourDefaults(RealData.dir().toString()));
    runtime.jobs().jobStore().offerBest(other, 0.5, trained.toBytes());
    String body = pixelsBody(eval.upright(0), "job", other);
    JsonNode first = json(call(body, Map.of(), Map.of()));
    assertEquals(0.5, first.path("modelAccuracy").asDouble());
    runtime.jobs().jobStore().offerBest(other, 0.6, ParameterVector.initial(trained.network(), 99).toBytes());
    JsonNode second = json(call(body, Map.of(), Map.of()));
    assertEquals(0.6, second.path("modelAccuracy").asDouble());
    assertTrue(first.path("top").path(0).path("p").asDouble() != second.path("top").path(0).path("p").asDouble(),
        "the answer did not change with the model: " + second);
  }

  @Test
  void badInputIsRefusedInOurWords() throws IOException {
    int[] seven = eval.upright(0);
    assertRefused(400, "784 integers", call("{\"pixels\": [1, 2, 3], \"job\": \"" + job + "\"}", Map.of(), Map.of()));
    int[] bright = seven.clone();
    bright[30] = 256;
    assertRefused(400, "pixel 30 (row 1, column 2) is 256", call(pixelsBody(bright, "job", job), Map.of(), Map.of()));
    assertRefused(400, "pixel 0 (row 0, column 0) is 1.5",
        call(pixelsBody(seven, "job", job).replaceFirst("\\[0,", "[1.5,"), Map.of(), Map.of()));
    assertRefused(400, "neither JSON nor a picture", call("hello", Map.of(), Map.of()));
    assertRefused(400, "not both", call("{\"pixels\": [], \"png\": \"\"}", Map.of(), Map.of()));
    assertRefused(400, "a job or a model, not both", call(pixelsBody(seven, "job", job).replace("}",
        ", \"model\": \"x\"}"), Map.of(), Map.of()));
    assertRefused(404, "no such job", call(pixelsBody(seven, "job", "nosuchjob"), Map.of(), Map.of()));
    // A misspelt field is named, instead of falling back to the newest job's model.
    assertRefused(400, "unknown field jbo; the fields are pixels, png, job, model",
        call(pixelsBody(seven, "jbo", job), Map.of(), Map.of()));
    // No ink as pixels, as a picture would be: 784 zeros (all paper) or all 255 (all ink).
    assertRefused(422, "the pixels hold no character: all 784 are 0; draw one (0 paper, 255 ink",
        call(pixelsBody(new int[LabeledImages.PIXELS], "job", job), Map.of(), Map.of()));
    int[] allInk = new int[LabeledImages.PIXELS];
    java.util.Arrays.fill(allInk, 255);
    assertRefused(422, "all 784 are 255", call(pixelsBody(allInk, "job", job), Map.of(), Map.of()));
    String fresh = runtime.jobs().create(TrainingConfig.downpourDefaults(RealData.dir().toString()));
    assertRefused(409, "no evaluated model yet", call(pixelsBody(seven, "job", fresh), Map.of(), Map.of()));
    assertRefused(404, "no model small in this image; it has none", call(pixelsBody(seven, "model", "small"),
        Map.of(), Map.of()));
    // A PNG sent raw: the Java entrypoint has turned its bytes into UTF-8 text, which is what arrives.
    byte[] raw = Base64.getDecoder().decode(png(seven, 5));
    assertRefused(415, "raw binary", call(new String(raw, StandardCharsets.UTF_8),
        Map.of("Content-Type", "image/png"), Map.of("job", job)));
    assertRefused(415, "not a picture", call(Base64.getEncoder().encodeToString("hello, world".getBytes(
        StandardCharsets.US_ASCII)), Map.of("Content-Type", "image/png"), Map.of("job", job)));
    assertRefused(400, "not base64", call("%%%", Map.of("Content-Type", "image/png"), Map.of("job", job)));
    assertRefused(422, "no ink", call(png(new int[LabeledImages.PIXELS], 4), Map.of("Content-Type", "image/png"),
        Map.of("job", job)));
    BufferedImage huge = new BufferedImage(5000, 4000, BufferedImage.TYPE_BYTE_BINARY);
    ByteArrayOutputStream hugePng = new ByteArrayOutputStream();
    ImageIO.write(huge, "png", hugePng);
    assertRefused(413, "5000×4000 pixels", call(Base64.getEncoder().encodeToString(hugePng.toByteArray()),
        Map.of("Content-Type", "image/png"), Map.of("job", job)));
    assertRefused(413, "at most", call("x".repeat(PredictRequest.MAX_BODY_CHARS + 1), Map.of(), Map.of()));
  }

  @Test
  void aModelBakedIntoTheImageAnswersByName(@TempDir Path data) throws IOException {
    Files.copy(RealData.dir().resolve("emnist-bymerge-mapping.txt"), data.resolve("emnist-bymerge-mapping.txt"));
    ModelFile.of(trained, eval.mapping()).write(data.resolve("model-bymerge.bin"));
    try (FunctionRuntime baked = new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"),
        URI.create("http://127.0.0.1:9"), Optional.empty(), RedisSettings.local(server.url()), Duration.ofHours(1),
        TrainingConfig.downpourDefaults(data.toString()), ACCESS, Quotas.DEFAULT,
        SignedCalls.ephemeral(Duration.ofHours(1))))) {
      PredictFunction function = new PredictFunction(baked, new PrintStream(LOG, true, StandardCharsets.UTF_8));
      IResponse r = function.handle(new Request(pixelsBody(eval.upright(1), "model", "bymerge"),
          authorized(Map.of())));
      assertEquals(200, r.getStatusCode(), r.getBody());
      assertEquals("model bymerge", json(r).path("source").asText());
      JsonNode choices = json(function.handle(new Request("", authorized(Map.of()), "models=1", "/")));
      assertEquals("bymerge", choices.path("models").path(0).asText());
      assertRefused(404, "no model other in this image; it has bymerge",
          function.handle(new Request(pixelsBody(eval.upright(1), "model", "other"), authorized(Map.of()))));
    }
  }

  /**
   * A Redis that refuses the pod's password: the pod still starts (it exited with a 40-line trace), serves its baked
   * models, and answers what needs Redis with 503 naming the cause in one line.
   */
  @Test
  void withoutRedisTheBakedModelsStillAnswer(@TempDir Path data) throws IOException {
    Files.copy(RealData.dir().resolve("emnist-bymerge-mapping.txt"), data.resolve("emnist-bymerge-mapping.txt"));
    ModelFile.of(trained, eval.mapping()).write(data.resolve("model-bymerge.bin"));
    try (EmbeddedRedis guarded = EmbeddedRedis.start(EmbeddedRedis.freePort(), null, false,
        List.of("requirepass right-password"));
        FunctionRuntime wrong = new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"),
            URI.create("http://127.0.0.1:9"), Optional.empty(),
            RedisSettings.local(guarded.url()).withPassword("wrong-password"), Duration.ofHours(1),
            TrainingConfig.downpourDefaults(data.toString()), ACCESS, Quotas.DEFAULT,
            SignedCalls.ephemeral(Duration.ofHours(1))))) {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      PrintStream podLog = new PrintStream(log, true, StandardCharsets.UTF_8);
      wrong.connectNow("emnist-predict", podLog);
      assertTrue(log.toString(StandardCharsets.UTF_8).startsWith("emnist-predict: cannot use Redis yet (Redis at "
          + "127.0.0.1:" + guarded.port() + " refused the credentials"), log.toString(StandardCharsets.UTF_8));
      PredictFunction function = new PredictFunction(wrong, podLog);
      IResponse named = function.handle(new Request(pixelsBody(eval.upright(1), "model", "bymerge"),
          authorized(Map.of())));
      assertEquals(200, named.getStatusCode(), named.getBody());
      IResponse newest = function.handle(new Request(pixelsBody(eval.upright(1), null, null), authorized(Map.of())));
      assertEquals(200, newest.getStatusCode(), newest.getBody());
      assertEquals("model bymerge", json(newest).path("source").asText());
      IResponse job = function.handle(new Request(pixelsBody(eval.upright(1), "job", "0a1b2c3d"),
          authorized(Map.of())));
      assertEquals(503, job.getStatusCode(), job.getBody());
      assertTrue(json(job).path("error").asText().contains("refused the credentials"), job.getBody());
      assertFalse(log.toString(StandardCharsets.UTF_8).contains("\tat "), "a stack trace for a wrong password: "
          + log.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aBrowsersGetAnswersTheDrawingPageWithEverythingItLoads() throws IOException {
    IResponse page = call("", Map.of("Accept", "text/html"), Map.of());
    assertEquals(200, page.getStatusCode());
    assertTrue(page.getContentType().startsWith("text/html"));
    assertTrue(page.getBody().contains("<canvas id=\"pad\""), page.getBody());
    assertTrue(!page.getBody().contains("http://") && !page.getBody().contains("https://"),
        "the page loads something from elsewhere");
    IResponse css = call("", Map.of(), Map.of("asset", "style.css"));
    assertEquals(200, css.getStatusCode());
    assertTrue(css.getContentType().startsWith("text/css"));
    IResponse unknown = call("", Map.of(), Map.of("asset", "../../etc/passwd"));
    assertEquals(404, unknown.getStatusCode());
    JsonNode choices = json(call("", Map.of(), Map.of("models", "1")));
    boolean listed = false;
    for (JsonNode j : choices.path("jobs")) {
      listed |= j.path("job").asText().equals(job) && j.path("bestAccuracy").asDouble() >= 0.75;
    }
    assertTrue(listed, "the trained job is not listed: " + choices);
  }

  @Test
  void predictionsAndTheModelListWantTheTokenThePageDoesNot() throws IOException {
    String body = pixelsBody(eval.upright(0), "job", job);
    for (Request r : List.of(new Request(body, Map.of()), new Request("", Map.of(), "models=1", "/"),
        new Request(body, Map.of("Authorization", "Bearer not-" + TOKEN)))) {
      IResponse answer = predict.handle(r);
      assertEquals(401, answer.getStatusCode(), answer.getBody());
      assertFalse(answer.getBody().contains("\"top\"") || answer.getBody().contains("\"jobs\""), answer.getBody());
    }
    assertEquals(200, predict.handle(new Request("", Map.of("Accept", "text/html"))).getStatusCode());
    assertEquals(200, predict.handle(new Request(body, authorized(Map.of()))).getStatusCode());
  }
}
