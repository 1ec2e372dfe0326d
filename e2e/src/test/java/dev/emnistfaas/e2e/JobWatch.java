package dev.emnistfaas.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A job started through the real gateway and followed through its status, with every answer kept. */
final class JobWatch {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final String id;
  /** The 202's status link, followed as someone outside the cluster would (the harness's public_gateway_url). */
  private final URI status;
  /** Every status answer: its HTTP code, its body and when (ms since the job was started). */
  final List<Answer> answers = new ArrayList<>();
  final long startedMillis = System.currentTimeMillis();

  record Answer(int code, String body, long atMillis) {}

  private JobWatch(URI status, String id) {
    this.status = status;
    this.id = id;
  }

  /** POSTs {@code overrides} to emnist-setup; the job it created. */
  static JobWatch start(URI gateway, String overrides) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.resolve("/function/emnist-setup"))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + CeHarness.API_TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(overrides)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 202) {
      throw new IllegalStateException("emnist-setup answered " + r.statusCode() + ": " + r.body());
    }
    JsonNode created = CeHarness.parse(r.body());
    String id = created.path("job").asText();
    URI status = URI.create(created.path("status").asText());
    URI expected = gateway.resolve("/function/emnist-setup?job=" + id);
    if (!status.equals(expected)) {
      throw new IllegalStateException("the 202's status link is " + status + ", not the public address " + expected);
    }
    return new JobWatch(status, id);
  }

  /** One status request, kept in {@link #answers}. */
  Answer poll() throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + CeHarness.API_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    Answer a = new Answer(r.statusCode(), r.body(), System.currentTimeMillis() - startedMillis);
    answers.add(a);
    return a;
  }

  /** Polls every {@code every} until the status says done; the last status. Fails after {@code timeout}. */
  JsonNode awaitDone(Duration timeout, Duration every) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Answer a = poll();
      if (a.code() == 200) {
        JsonNode s = CeHarness.parse(a.body());
        if (s.path("done").asBoolean()) {
          return s;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " not done after " + timeout + "; last status HTTP " + a.code()
            + ": " + a.body());
      }
      Thread.sleep(every.toMillis());
    }
  }

  /** The status answers that were 5xx, as text. */
  List<String> serverErrors() {
    return answers.stream().filter(a -> a.code() >= 500).map(a -> a.atMillis() + " ms: HTTP " + a.code() + " "
        + a.body()).toList();
  }
}
