package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import dev.emnistfaas.RealData;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.JobStore;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import dev.emnistfaas.train.WorkerPosition;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** emnist-train takes only calls signed by the functions, and refuses a call of a slice that already ran. */
class TrainFunctionTest {
  private static final String KEY = "train-test-call-key-0123456789abcdef01234";
  private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
  private static EmbeddedRedis server;
  private static FunctionRuntime runtime;
  private static TrainFunction train;

  @BeforeAll
  static void start() {
    server = EmbeddedRedis.start();
    runtime = new FunctionRuntime(new FunctionSettings(URI.create("http://127.0.0.1:9"),
        URI.create("http://127.0.0.1:9"), Optional.empty(), RedisSettings.local(server.url()), Duration.ofHours(1),
        TrainingConfig.downpourDefaults(RealData.dir().toString()), new ApiAccess(Optional.empty(),
        ApiAccess.ReadAccess.TOKEN), Quotas.DEFAULT, SignedCalls.withKey(KEY, Duration.ofHours(1), Clock.systemUTC())));
    // Never warm: a call that got past the signature check would wait here forever, and the case would not end.
    train = new TrainFunction(runtime, "test-pod", new PrintStream(LOG, true, StandardCharsets.UTF_8),
        new CompletableFuture<>());
  }

  @AfterAll
  static void stop() {
    runtime.close();
    server.close();
  }

  private static String signedBody(SignedCalls signer, SignedCalls.Kind kind, String job, int worker, int slice) {
    return TrainFunction.body(job, worker, slice, signer.sign(new SignedCalls.Subject(kind, job, worker, slice)));
  }

  private static void assertForbidden(String body, String reason) {
    long keys = runtime.redis().call(j -> j.dbSize());
    int logged = LOG.size();
    IResponse r = train.handle(new Request(body, Map.of()));
    assertEquals(403, r.getStatusCode(), r.getBody());
    assertTrue(r.getBody().contains(reason), r.getBody());
    assertTrue(LOG.toString(StandardCharsets.UTF_8).substring(logged).startsWith("emnist-train: HTTP 403 for job "),
        "the refusal was not logged");
    assertEquals(keys, (long) runtime.redis().call(j -> j.dbSize()), "a refused call wrote to Redis");
  }

  @Test
  void unsignedForgedAlteredAndExpiredCallsAreRefusedBeforeAnythingRuns() {
    String job = runtime.jobs().create(runtime.settings().defaults());
    SignedCalls signer = runtime.settings().calls();
    assertForbidden("{\"job\": \"" + job + "\", \"worker\": 0, \"slice\": 1}", "carries no signature");
    String valid = signedBody(signer, SignedCalls.Kind.TRAIN_CALL, job, 0, 1);
    assertForbidden(valid.replace("\"worker\":0", "\"worker\":1"), "the signature does not match the call of "
        + "slice 1 of worker 1 of job " + job);
    assertForbidden(valid.replace("\"slice\":1", "\"slice\":7"), "the signature does not match");
    assertForbidden(valid.replaceAll("\"signature\":\"[0-9a-f]{2}", "\"signature\":\"zz"), "malformed signature");
    assertForbidden(signedBody(SignedCalls.withKey("a-stranger's-key-0123456789abcdef0123", Duration.ofHours(1),
        Clock.systemUTC()), SignedCalls.Kind.TRAIN_CALL, job, 0, 1), "the signature does not match");
    assertForbidden(signedBody(signer, SignedCalls.Kind.CALLBACK, job, 0, 1), "the signature does not match");
    assertForbidden(signedBody(SignedCalls.withKey(KEY, Duration.ofHours(1),
        Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC)), SignedCalls.Kind.TRAIN_CALL, job, 0, 1),
        "ahead of this pod's clock");
    assertForbidden(signedBody(SignedCalls.withKey(KEY, Duration.ofHours(1),
        Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC)), SignedCalls.Kind.TRAIN_CALL, job, 0,
        1), "longer ago than a job lives");
    IResponse big = train.handle(new Request("{\"job\": \"" + "a".repeat(TrainFunction.MAX_BODY_CHARS) + "\"}", Map.of()));
    assertEquals(413, big.getStatusCode(), big.getBody());
    assertTrue(big.getBody().contains("a call is at most 4096"), big.getBody());
  }

  /** A valid call sent again after its slice ran (a replay, or the platform's redelivery) runs nothing: 409. */
  @Test
  void aCallOfASliceThatRanIsRefusedAsADuplicate() {
    TrainFunction warm = new TrainFunction(runtime, "test-pod", new PrintStream(LOG, true, StandardCharsets.UTF_8),
        CompletableFuture.completedFuture(null));
    String job = runtime.jobs().create(runtime.settings().defaults());
    JobStore store = runtime.jobs().jobStore();
    assertTrue(store.acquireLease(job, 0, "test", Duration.ofMinutes(1)));
    WorkerPosition done = WorkerPosition.initial(1).finished(System.currentTimeMillis(), "test-pod");
    assertEquals(JobStore.SaveResult.SAVED, store.saveWorker(job, 0, "test", Optional.empty(), done.toJson()));
    store.releaseLease(job, 0, "test");
    IResponse r = warm.handle(new Request(signedBody(runtime.settings().calls(), SignedCalls.Kind.TRAIN_CALL, job, 0,
        1), Map.of()));
    assertEquals(409, r.getStatusCode(), r.getBody());
    assertTrue(r.getBody().contains("already ran, or the worker is done: a redelivered or replayed call"),
        r.getBody());
    assertEquals(done.toJson(), store.worker(job, 0).orElseThrow());
  }
}
