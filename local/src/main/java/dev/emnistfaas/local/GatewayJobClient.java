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
import java.util.function.LongSupplier;

/** Starts training jobs through emnist-setup on a gateway and follows their status, as a cluster user would. */
public final class GatewayJobClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI setup;
  private final String apiToken;

  /** emnist-setup refused a request: its HTTP status and answer (4xx: the request was wrong). */
  public static final class Refused extends IllegalStateException {
    private final int status;

    Refused(String what, int status, String body) {
      super(what + ": emnist-setup answered HTTP " + status + " " + body.strip());
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** A client of emnist-setup on {@code gateway} that sends {@code apiToken} (see ApiAccess) with every call. */
  public GatewayJobClient(URI gateway, String apiToken) {
    this.setup = URI.create(gateway + "/function/emnist-setup");
    this.apiToken = apiToken;
  }

  /** POSTs the config overrides; returns the new job's id, or throws with the function's error. */
  public String start(String overridesJson) {
    return create(overridesJson).path("job").asText();
  }

  /** POSTs the config overrides; returns emnist-setup's answer (job id, workers, config). */
  public JsonNode create(String overridesJson) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(setup).POST(HttpRequest.BodyPublishers.ofString(overridesJson)));
    if (r.statusCode() != 202) {
      throw new Refused("starting a job", r.statusCode(), r.body());
    }
    return read(r.body());
  }

  /** Stops the job's workers; returns its status. */
  public JsonNode cancel(String job) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(setup + "?job=" + job + "&cancel=1")).GET());
    if (r.statusCode() != 200) {
      throw new Refused("cancelling job " + job, r.statusCode(), r.body());
    }
    return read(r.body());
  }

  public JsonNode status(String job) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(setup + "?job=" + job)).GET());
    if (r.statusCode() != 200) {
      throw new Refused("status of job " + job, r.statusCode(), r.body());
    }
    return read(r.body());
  }

  /** A job that was not done by the deadline; the last status seen, if any, is the caller's. */
  public static final class NotDone extends IllegalStateException {
    NotDone(String message) {
      super(message);
    }
  }

  /**
   * Polls the status every {@code every} until all workers are done; each status goes to {@code onPoll}. A
   * status the setup function cannot give for now (5xx: Redis restarting, say) is polled again.
   */
  public JsonNode awaitDone(String job, Duration timeout, Duration every, Consumer<JsonNode> onPoll) {
    long deadline = System.nanoTime() + timeout.toNanos();
    return awaitDone(job, () -> deadline, every, onPoll);
  }

  /** As {@link #awaitDone(String, Duration, Duration, Consumer)}, until a deadline (System.nanoTime) that may move. */
  public JsonNode awaitDone(String job, LongSupplier deadlineNanos, Duration every, Consumer<JsonNode> onPoll) {
    while (true) {
      String problem;
      try {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(setup + "?job=" + job)).GET());
        if (r.statusCode() >= 500) {
          problem = "HTTP " + r.statusCode() + " " + r.body().strip();
        } else if (r.statusCode() != 200) {
          throw new Refused("status of job " + job, r.statusCode(), r.body());
        } else {
          JsonNode s = read(r.body());
          onPoll.accept(s);
          if (s.path("done").asBoolean()) {
            return s;
          }
          problem = "not done";
        }
      } catch (Unreachable e) {
        problem = e.getMessage();
      }
      if (System.nanoTime() - deadlineNanos.getAsLong() > 0) {
        throw new NotDone("job " + job + " not done by the deadline; last status: " + problem);
      }
      try {
        Thread.sleep(every.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while following job " + job, e);
      }
    }
  }

  /** The gateway could not be reached at all. */
  public static final class Unreachable extends IllegalStateException {
    Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + apiToken).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Unreachable("cannot reach " + setup + ": " + e, e);
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
