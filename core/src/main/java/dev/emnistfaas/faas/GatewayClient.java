package dev.emnistfaas.faas;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/** Calls functions through the OpenFaaS gateway: asynchronous invocations, with bounded retries. */
public final class GatewayClient {
  private static final int ATTEMPTS = 5;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI gateway;
  private final Optional<String> authorization;

  public GatewayClient(URI gateway, Optional<String> basicAuth) {
    this.gateway = gateway;
    this.authorization = basicAuth.map(
        a -> "Basic " + Base64.getEncoder().encodeToString(a.getBytes(StandardCharsets.UTF_8)));
  }

  public URI gateway() {
    return gateway;
  }

  /**
   * Queues a call of {@code function} with {@code body} ({@code POST /async-function/NAME}); returns the call
   * id the gateway gave. 502/503 and connection failures are retried with backoff; other refusals throw.
   */
  public String invokeAsync(String function, String body, Optional<URI> callback) {
    HttpRequest.Builder b = HttpRequest.newBuilder(gateway.resolve("/async-function/" + function))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    callback.ifPresent(c -> b.header("X-Callback-Url", c.toString()));
    authorization.ifPresent(a -> b.header("Authorization", a));
    HttpRequest request = b.build();
    long delay = 100;
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 202 || r.statusCode() == 200) {
          return r.headers().firstValue("X-Call-Id").orElse("");
        }
        if ((r.statusCode() != 502 && r.statusCode() != 503) || attempt >= ATTEMPTS) {
          throw new IllegalStateException("gateway " + gateway + " refused the async call of " + function + ": HTTP "
              + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        if (attempt >= ATTEMPTS) {
          throw new IllegalStateException("cannot reach the gateway at " + gateway + " after " + attempt
              + " attempts: " + e, e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted calling the gateway", e);
      }
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted calling the gateway", e);
      }
      delay = Math.min(delay * 2, 2000);
    }
  }
}
