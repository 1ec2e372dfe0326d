package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;
import com.sun.net.httpserver.HttpServer;
import dev.emnistfaas.faas.HttpHeaders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The local gateway's model of OpenFaaS CE, held to what the end-to-end suite measured on the real components
 * (../shared/openfaas-ce's README, "What CE does to calls"), so that CI, which has no upstream binaries, still
 * fails when the model drifts from them. A toy function and a callback receiver, no Redis: every case waits for
 * conditions, with a generous limit, and asserts what happened, never how long it took.
 */
class LocalGatewayContractTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration ACK_WAIT = Duration.ofMillis(200);
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<AutoCloseable> open = new ArrayList<>();

  /** One call as the function saw it. */
  private record Call(String body, String callId, String path, String pod, long startNanos, long endNanos) {}

  /** A callback as the receiver saw it. */
  /** A callback URL's path and query, such as emnist-setup signs (SignedCalls). */
  private static final String QUERY_TARGET = "/callback?callback=1&job=0a1b2c3d&worker=2&slice=7&issued=1796524713"
      + "&nonce=47ac77f8cfe43499aaddcc8b&signature=e69acf4284a00fdb5e2dd6a968c86bcbd02b1d3a62057ae5b977da256a60d1ca";

  private record Callback(String body, int functionStatus, String callId, String functionName, String duration,
      String target) {}

  /**
   * The toy function: answers "ok BODY"; a body starting with "hold" waits until {@link #release} opens, so a case
   * can keep a call running as long as it needs.
   */
  private final class Toy {
    final List<Call> started = new CopyOnWriteArrayList<>();
    final List<Call> finished = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);

    IResponse handle(int pod, IRequest request) {
      long start = System.nanoTime();
      Call begun = new Call(request.getBody(), HttpHeaders.value(request.getHeaders(), "X-Call-Id"),
          request.getPathRaw(), "pod-" + pod, start, 0);
      started.add(begun);
      if (request.getBody().startsWith("hold")) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // a killed pod: the gateway answers for it
        }
      }
      finished.add(new Call(begun.body(), begun.callId(), begun.path(), begun.pod(), start, System.nanoTime()));
      Response r = new Response();
      r.setStatusCode(200);
      r.setBody("ok " + request.getBody());
      return r;
    }

    List<Call> startedWith(String body) {
      return started.stream().filter(c -> c.body().equals(body)).toList();
    }
  }

  /** Records callbacks; answers each with {@code status}, after {@link #answer} opens. */
  private final class Receiver implements AutoCloseable {
    final BlockingQueue<Callback> received = new LinkedBlockingQueue<>();
    final List<Callback> all = new CopyOnWriteArrayList<>();
    final CountDownLatch answer;
    final HttpServer server;

    Receiver(int status, boolean answerAtOnce) {
      answer = new CountDownLatch(answerAtOnce ? 0 : 1);
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
      server.createContext("/", ex -> {
        var h = ex.getRequestHeaders();
        Callback c = new Callback(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
            Integer.parseInt(h.getFirst("X-Function-Status")), h.getFirst("X-Call-Id"), h.getFirst("X-Function-Name"),
            h.getFirst("X-Duration-Seconds"), ex.getRequestURI().getRawPath() + "?" + ex.getRequestURI().getRawQuery());
        all.add(c);
        received.add(c);
        try {
          answer.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
      });
      server.start();
      open.add(this);
    }

    /** Where the callback goes: a signed URL's query, as emnist-setup gives one (the queue-worker keeps it as is). */
    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + QUERY_TARGET;
    }

    Callback next() throws InterruptedException {
      Callback c = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertTrue(c != null, "no callback within " + WAIT);
      return c;
    }

    @Override
    public void close() {
      answer.countDown();
      server.stop(0);
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private LocalGateway gateway(GatewaySettings settings, Toy toy) {
    LocalGateway g = new LocalGateway(settings);
    open.add(g);
    g.deploy("toy", pod -> request -> toy.handle(pod, request));
    return g;
  }

  private static GatewaySettings settings(int pods, int queueWorkers, int maxInflight, Duration ackWait) {
    return new GatewaySettings(pods, queueWorkers, GatewaySettings.Routing.ROUND_ROBIN, maxInflight, ackWait,
        Duration.ZERO);
  }

  /** Queues {@code body} for the toy function; the gateway's call id. */
  private String async(LocalGateway g, String body, Receiver receiver) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(g.url().resolve("/async-function/toy"))
        .header("X-Callback-Url", receiver.url()).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    return r.headers().firstValue("X-Call-Id").orElseThrow(() -> new AssertionError("202 without X-Call-Id"));
  }

  private HttpResponse<String> sync(LocalGateway g, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(g.url().resolve("/function/toy"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + WAIT + ": " + what);
      Thread.sleep(5);
    }
  }

  /**
   * After a moment's room for a wrong delivery to begin, the function has seen exactly {@code bodies}, in order:
   * what a delivery that must not happen would have broken.
   */
  private static void assertOnlyStarted(Toy toy, String wrong, String... bodies) throws InterruptedException {
    Thread.sleep(300);
    assertEquals(List.of(bodies), toy.started.stream().map(Call::body).toList(), wrong);
  }

  /** Waits until every queued copy of a call was delivered, answered and called back (none is left queued). */
  private static void awaitEveryCopyCalledBack(LocalGateway g, Toy toy, Receiver receiver) throws InterruptedException {
    await("every copy called back", () -> receiver.all.size() == g.delivered()
        && g.delivered() == 1 + g.redelivered() && toy.finished.size() == toy.started.size());
  }

  /** What the real path showed: 202 and a call id; the pod called at /function/NAME/; the callback's headers. */
  @Test
  void anAsyncCallKeepsItsIdAndItsCallbackCarriesTheFunctionsAnswer() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(1, 1, 0, Duration.ZERO), toy);
    Receiver receiver = new Receiver(200, true);
    String id = async(g, "a", receiver);
    Callback c = receiver.next();
    // As the real CE queue-worker does (e2e AttackTest, at the harness's callback sink): the URL exactly as given.
    assertEquals(new Callback("ok a", 200, id, "toy", c.duration(), QUERY_TARGET), c);
    assertTrue(Double.parseDouble(c.duration()) >= 0, c.toString());
    Call call = toy.started.get(0);
    assertEquals(id, call.callId());
    assertEquals("/function/toy/", call.path());
  }

  /** One queue worker delivers one call at a time, whatever the number of pods. */
  @Test
  void oneQueueWorkerDeliversOneCallAtATime() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(3, 1, 0, Duration.ZERO), toy);
    Receiver receiver = new Receiver(200, true);
    async(g, "hold a", receiver);
    async(g, "b", receiver);
    await("the first call runs", () -> toy.started.size() == 1);
    assertOnlyStarted(toy, "two calls ran at once", "hold a");
    toy.release.countDown();
    assertEquals("ok hold a", receiver.next().body());
    assertEquals("ok b", receiver.next().body());
    assertTrue(toy.startedWith("b").get(0).startNanos() > toy.finished.get(0).endNanos(), "b began before a ended");
  }

  /** The queue worker posts a callback itself and waits for its answer before it takes the next call. */
  @Test
  void callbacksAreSynchronousSoASlowReceiverHoldsTheQueue() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(2, 1, 0, Duration.ZERO), toy);
    Receiver receiver = new Receiver(200, false);
    async(g, "a", receiver);
    async(g, "b", receiver);
    assertEquals("ok a", receiver.next().body());
    assertOnlyStarted(toy, "b was delivered beside a's callback", "a");
    receiver.answer.countDown();
    assertEquals("ok b", receiver.next().body());
  }

  /** A callback is posted once: a receiver's 500 is not retried (retries are an OpenFaaS Pro feature). */
  @Test
  void aFailedCallbackIsNeverPostedAgain() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(1, 1, 0, Duration.ZERO), toy);
    Receiver receiver = new Receiver(500, true);
    String a = async(g, "a", receiver);
    String b = async(g, "b", receiver);
    assertEquals(a, receiver.next().callId());
    assertEquals(b, receiver.next().callId(), "a's callback was posted again");
    Thread.sleep(300);
    assertEquals(2, receiver.all.size(), receiver.all.toString());
  }

  /**
   * max_inflight=1: a busy pod answers 429; the queue worker posts that as the callback and acknowledges, so the
   * call is gone: it is never delivered again.
   */
  @Test
  void aBusyPodAnswers429AndTheCallIsGone() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(1, 2, 1, Duration.ZERO), toy);
    Receiver receiver = new Receiver(200, true);
    async(g, "hold a", receiver);
    await("a runs", () -> toy.started.size() == 1);
    String b = async(g, "b", receiver);
    Callback rejected = receiver.next();
    assertEquals(b, rejected.callId());
    assertEquals(429, rejected.functionStatus());
    assertTrue(rejected.body().startsWith("Concurrent request limit exceeded"), rejected.body());
    HttpResponse<String> direct = sync(g, "c");
    assertEquals(429, direct.statusCode(), direct.body());
    toy.release.countDown();
    assertEquals("ok hold a", receiver.next().body());
    assertOnlyStarted(toy, "a refused call was delivered", "hold a");
    assertEquals(1, g.rejected());
    assertEquals(0, g.redelivered());
  }

  /** A pod that is still starting serves its first call once started; the call waits meanwhile. */
  @Test
  void aColdPodServesItsFirstCallOnlyOnceStarted() throws Exception {
    Toy toy = new Toy();
    Duration coldStart = Duration.ofMillis(1500);
    long deployed = System.nanoTime();
    LocalGateway g = gateway(settings(1, 1, 0, Duration.ZERO).withColdStart(coldStart), toy);
    HttpResponse<String> r = sync(g, "a");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(toy.started.get(0).startNanos() - deployed >= coldStart.toNanos(), "served before it had started");
  }

  /**
   * A call still running after ack_wait is delivered again, with the same call id, in parallel on another queue
   * worker and pod; once per ack_wait, not more (copies start no timers of their own), until a delivery is
   * acknowledged. Here it had run 3 times (0, 5 and 10 s for a 12 s call with ack_wait 5 s).
   */
  @Test
  void aCallPastAckWaitIsDeliveredAgainInParallelOncePerAckWait() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(3, 3, 0, ACK_WAIT), toy);
    Receiver receiver = new Receiver(200, true);
    long sent = System.nanoTime();
    String id = async(g, "hold a", receiver);
    await("two copies run beside the first delivery", () -> toy.started.size() >= 3);
    long copies = g.redelivered();
    long released = System.nanoTime();
    toy.release.countDown();
    assertTrue(copies <= (released - sent) / ACK_WAIT.toNanos(), copies + " copies in "
        + (released - sent) / 1_000_000 + " ms with ack_wait " + ACK_WAIT.toMillis() + " ms: a copy started its own timer");
    awaitEveryCopyCalledBack(g, toy, receiver);
    List<Call> calls = List.copyOf(toy.started);
    assertTrue(calls.stream().allMatch(c -> c.callId().equals(id)), calls.toString());
    assertNotEquals(calls.get(0).pod(), calls.get(1).pod(), "the copy went to the busy pod");
    assertTrue(calls.get(1).startNanos() < toy.finished.get(0).endNanos(), "the copy waited for the first delivery");
    long settled = g.delivered();
    Thread.sleep(3 * ACK_WAIT.toMillis());
    assertEquals(settled, g.delivered(), "delivered again after it was acknowledged");
  }

  /** With one queue worker the copies wait for it: they run one after another, not in parallel. */
  @Test
  void withOneQueueWorkerTheCopiesRunOneAfterAnother() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(2, 1, 0, ACK_WAIT), toy);
    Receiver receiver = new Receiver(200, true);
    String id = async(g, "hold a", receiver);
    await("two copies are queued", () -> g.redelivered() >= 2);
    toy.release.countDown();
    awaitEveryCopyCalledBack(g, toy, receiver);
    List<Call> calls = List.copyOf(toy.finished);
    assertTrue(calls.size() >= 3, calls.toString());
    for (int i = 1; i < calls.size(); i++) {
      assertEquals(id, calls.get(i).callId());
      assertTrue(calls.get(i).startNanos() > calls.get(i - 1).endNanos(), "copies ran in parallel: " + calls);
    }
  }

  /** A pod killed mid-call: the caller gets the gateway's 502, and the queue worker posts it as the callback. */
  @Test
  void aCallOnAKilledPodAnswers502() throws Exception {
    Toy toy = new Toy();
    LocalGateway g = gateway(settings(1, 1, 0, Duration.ZERO), toy);
    Receiver receiver = new Receiver(200, true);
    String id = async(g, "hold a", receiver);
    await("a runs", () -> toy.started.size() == 1);
    assertTrue(g.killPod("toy", 0));
    Callback c = receiver.next();
    assertEquals(id, c.callId());
    assertEquals(502, c.functionStatus(), c.toString());
    assertFalse(g.killPod("toy", 0), "the pod still runs the killed call");
    HttpResponse<String> after = sync(g, "b");
    assertEquals(200, after.statusCode(), "the pod's replacement serves calls: " + after.body());
  }
}
