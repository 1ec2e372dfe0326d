package dev.emnistfaas.local;

import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import com.openfaas.model.Response;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.emnistfaas.faas.HttpHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A gateway on loopback serving {@code /function/NAME} and {@code /async-function/NAME} as OpenFaaS does, with
 * the delivery behaviours of OpenFaaS CE as {@link GatewaySettings}: P pods per function each serving one
 * request at a time, random or round-robin routing, Q queue workers each delivering one async call at a
 * time, 429 from busy pods under max_inflight=1, redelivery after ack_wait, pods that take a while to start,
 * and callbacks carrying {@code X-Function-Status}, posted by the queue worker itself before it takes its next
 * call, once, whatever the receiver answers, and waited for without a time limit (as the CE queue-worker does:
 * a slow callback receiver slows the whole queue). LocalGatewayContractTest asserts each of these.
 */
public final class LocalGateway implements AutoCloseable {
  private final GatewaySettings settings;
  private final HttpServer server;
  private final Map<String, List<Pod>> functions = new ConcurrentHashMap<>();
  private final Map<String, Integer> maxInflight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> nextPod = new ConcurrentHashMap<>();
  private final BlockingQueue<AsyncCall> queue = new LinkedBlockingQueue<>();
  private final List<Thread> queueWorkers = new ArrayList<>();
  private final ExecutorService calls = Executors.newCachedThreadPool(daemon("local-gateway-call"));
  private final HttpClient callbacks = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong redelivered = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  /** Functions whose next async delivery is lost together with its callback ({@link #loseNextCall}). */
  private final Map<String, AtomicInteger> toLose = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * One queued message. NATS Streaming delivers it again after each ack_wait until one of its deliveries is
   * acknowledged (the queue-worker acknowledges when the call and its callback are over); a delivery already
   * handed to a queue worker still runs after that. One timer per message: copies do not start timers of their own.
   */
  private record AsyncCall(String function, String body, Map<String, String> headers, String query, String callId,
      AtomicBoolean acknowledged, boolean redelivery) {
    AsyncCall redelivered() {
      return new AsyncCall(function, body, headers, query, callId, acknowledged, true);
    }
  }

  /** A gateway on a free loopback port. */
  public LocalGateway(GatewaySettings settings) {
    this(settings, 0);
  }

  /** A gateway on loopback port {@code port} (0: a free one); a port in use is refused saying so. */
  public LocalGateway(GatewaySettings settings, int port) {
    this.settings = settings;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    } catch (java.net.BindException e) {
      throw new IllegalStateException("port " + port + " on 127.0.0.1 is in use: stop what listens there or "
          + "choose another with --port", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the local gateway on loopback", e);
    }
    server.setExecutor(Executors.newCachedThreadPool(daemon("local-gateway-http")));
    server.createContext("/function/", this::sync);
    server.createContext("/async-function/", this::async);
    server.start();
    for (int q = 0; q < settings.queueWorkers(); q++) {
      Thread t = new Thread(this::deliverLoop, "queue-worker-" + q);
      t.setDaemon(true);
      t.start();
      queueWorkers.add(t);
    }
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Deploys {@code name} with one handler per pod, made by {@code podHandler} from the pod's index. */
  public void deploy(String name, IntFunction<Function<IRequest, IResponse>> podHandler) {
    deploy(name, settings.maxInflight(), podHandler);
  }

  /** Deploys {@code name} with its own max_inflight (a stack file sets it per function). */
  public void deploy(String name, int inflight, IntFunction<Function<IRequest, IResponse>> podHandler) {
    maxInflight.put(name, inflight);
    List<Pod> pods = new ArrayList<>();
    for (int p = 0; p < settings.pods(); p++) {
      pods.add(new Pod(name + "-pod-" + p, podHandler.apply(p), settings.coldStart()));
    }
    functions.put(name, List.copyOf(pods));
    nextPod.put(name, new AtomicInteger());
  }

  /** Kills the call running on pod {@code pod} of {@code name}; false when that pod was idle. */
  public boolean killPod(String name, int pod) {
    return functions.get(name).get(pod).kill();
  }

  /**
   * Loses the next async call of {@code function} as OpenFaaS CE loses one when two things go wrong at once: a
   * busy pod refuses it (429, the queue-worker acknowledges it and never delivers it again) and its callback goes
   * to an emnist-setup pod that has just died (the queue-worker never posts a callback twice). The call does not
   * reach the function, and nobody hears of it.
   */
  public void loseNextCall(String function) {
    toLose.computeIfAbsent(function, f -> new AtomicInteger()).incrementAndGet();
  }

  /** Async calls delivered, delivered again after ack_wait, and refused with 429 by a busy pod. */
  public long delivered() {
    return delivered.get();
  }

  public long redelivered() {
    return redelivered.get();
  }

  public long rejected() {
    return rejected.get();
  }

  private Pod route(String name) {
    List<Pod> pods = functions.get(name);
    int i = settings.routing() == GatewaySettings.Routing.RANDOM
        ? ThreadLocalRandom.current().nextInt(pods.size())
        : Math.floorMod(nextPod.get(name).getAndIncrement(), pods.size());
    return pods.get(i);
  }

  /** Invokes a function on a routed pod; 429 when the pod is busy and max_inflight is 1. */
  private IResponse invoke(String name, IRequest request) throws InterruptedException {
    Pod pod = route(name);
    if (maxInflight.get(name) == 0) {
      return pod.serve(request);
    }
    IResponse r = pod.serveIfIdle(request);
    if (r != null) {
      return r;
    }
    Response busy = new Response();
    busy.setStatusCode(429);
    busy.setBody("Concurrent request limit exceeded. Max concurrent requests: 1\n");
    return busy;
  }

  private String functionName(HttpExchange ex, String prefix) {
    String rest = ex.getRequestURI().getPath().substring(prefix.length());
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }

  private void sync(HttpExchange ex) throws IOException {
    String name = functionName(ex, "/function/");
    if (!functions.containsKey(name)) {
      reply(ex, 404, "error finding function " + name + ": not deployed\n", Map.of());
      return;
    }
    try {
      IResponse r = invoke(name, request(ex));
      reply(ex, r.getStatusCode(), r.getBody(), r.getHeaders(), r.getContentType());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(ex, 503, "gateway shutting down\n", Map.of());
    }
  }

  private void async(HttpExchange ex) throws IOException {
    String name = functionName(ex, "/async-function/");
    if (!functions.containsKey(name)) {
      reply(ex, 404, "error finding function " + name + ": not deployed\n", Map.of());
      return;
    }
    IRequest r = request(ex);
    String callId = UUID.randomUUID().toString();
    queue.add(new AsyncCall(name, r.getBody(), r.getHeaders(), ex.getRequestURI().getRawQuery(), callId,
        new AtomicBoolean(), false));
    reply(ex, 202, "", Map.of("X-Call-Id", callId));
  }

  /**
   * One queue worker: takes a call, delivers it and waits for it (redelivering a copy after each ack_wait while
   * nothing acknowledged it), posts the callback, then acknowledges.
   */
  private void deliverLoop() {
    while (!closed) {
      AsyncCall call;
      try {
        call = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      delivered.incrementAndGet();
      AtomicInteger lose = toLose.get(call.function());
      if (lose != null && lose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        rejected.incrementAndGet();
        call.acknowledged().set(true);
        continue;
      }
      long started = System.nanoTime();
      Map<String, String> headers = new HashMap<>(call.headers());
      headers.put("X-Call-Id", call.callId());
      IRequest request = new Request(call.body(), headers, call.query(), "/function/" + call.function() + "/");
      CompletableFuture<IResponse> result = CompletableFuture.supplyAsync(() -> {
        try {
          return invoke(call.function(), request);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }, calls);
      IResponse response = awaitWithRedelivery(call, result);
      if (response != null) {
        if (response.getStatusCode() == 429) {
          rejected.incrementAndGet();
        }
        callback(call, response, (System.nanoTime() - started) / 1e9);
        call.acknowledged().set(true);
      }
    }
  }

  private IResponse awaitWithRedelivery(AsyncCall call, CompletableFuture<IResponse> result) {
    while (true) {
      try {
        if (settings.ackWait().isZero() || call.redelivery()) {
          return result.get();
        }
        return result.get(settings.ackWait().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (!call.acknowledged().get()) {
          redelivered.incrementAndGet();
          queue.add(call.redelivered());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (Exception e) {
        Response failed = new Response();
        failed.setStatusCode(500);
        failed.setBody(String.valueOf(e.getCause()));
        return failed;
      }
    }
  }

  /**
   * Posts the call's callback and waits for its answer as long as it takes, as the CE queue-worker does; never
   * again, whatever the answer; failures are logged.
   */
  private void callback(AsyncCall call, IResponse response, double seconds) {
    String url = HttpHeaders.value(call.headers(), "X-Callback-Url");
    if (url == null || closed) {
      return;
    }
    HttpRequest post = HttpRequest.newBuilder(URI.create(url))
        .header("X-Duration-Seconds", String.format(java.util.Locale.ROOT, "%f", seconds))
        .header("X-Function-Status", "" + response.getStatusCode())
        .header("X-Call-Id", call.callId())
        .header("X-Function-Name", call.function())
        .POST(HttpRequest.BodyPublishers.ofString(response.getBody() == null ? "" : response.getBody()))
        .build();
    try {
      callbacks.send(post, java.net.http.HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      if (!closed) {
        System.err.println("local gateway: callback to " + url + " failed: " + e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static IRequest request(HttpExchange ex) throws IOException {
    String body;
    try (InputStream in = ex.getRequestBody()) {
      body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Map<String, String> headers = new HashMap<>();
    ex.getRequestHeaders().forEach((k, v) -> headers.put(k, v.isEmpty() ? "" : v.get(0)));
    return new Request(body, headers, ex.getRequestURI().getRawQuery(), ex.getRequestURI().getPath());
  }

  private static void reply(HttpExchange ex, int status, String body, Map<String, String> headers)
      throws IOException {
    reply(ex, status, body, headers, null);
  }

  private static void reply(HttpExchange ex, int status, String body, Map<String, String> headers,
      String contentType) throws IOException {
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    headers.forEach(ex.getResponseHeaders()::set);
    if (contentType != null && !contentType.isEmpty()) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
    queueWorkers.forEach(Thread::interrupt);
    calls.shutdownNow();
  }
}
