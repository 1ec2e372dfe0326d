package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;

/** Starts training jobs through emnist-setup on a gateway and follows their status, as a cluster user would. */
public final class GatewayJobClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI setup;

  public GatewayJobClient(URI gateway) {
    this.setup = URI.create(gateway + "/function/emnist-setup");
  }

  /** POSTs the config overrides; returns the new job's id, or throws with the function's error. */
  public String start(String overridesJson) {
    return create(overridesJson).path("job").asText();
  }

  /** POSTs the config overrides; returns emnist-setup's answer (job id, workers, config). */
  public JsonNode create(String overridesJson) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(setup).POST(HttpRequest.BodyPublishers.ofString(overridesJson)));
    if (r.statusCode() != 202) {
      throw new IllegalStateException("emnist-setup answered " + r.statusCode() + ": " + r.body());
    }
    return read(r.body());
  }

  /** Stops the job's workers; returns its status. */
  public JsonNode cancel(String job) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(setup + "?job=" + job + "&cancel=1")).GET());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("cancel of job " + job + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return read(r.body());
  }

  public JsonNode status(String job) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(setup + "?job=" + job)).GET());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("status of job " + job + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return read(r.body());
  }

  /**
   * Polls the status every {@code every} until all workers are done; each status goes to {@code onPoll}. A
   * status the setup function cannot give for now (5xx: Redis restarting, say) is polled again.
   */
  public JsonNode awaitDone(String job, Duration timeout, Duration every, Consumer<JsonNode> onPoll) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(setup + "?job=" + job)).GET());
      if (r.statusCode() < 500) {
        if (r.statusCode() != 200) {
          throw new IllegalStateException("status of job " + job + ": HTTP " + r.statusCode() + " " + r.body());
        }
        JsonNode s = read(r.body());
        onPoll.accept(s);
        if (s.path("done").asBoolean()) {
          return s;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("job " + job + " not done after " + timeout + ": HTTP " + r.statusCode()
            + " " + r.body());
      }
      try {
        Thread.sleep(every.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while following job " + job, e);
      }
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach " + setup + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted calling " + setup, e);
    }
  }

  private static JsonNode read(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + body, e);
    }
  }
}
