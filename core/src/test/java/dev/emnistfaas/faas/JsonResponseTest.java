package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openfaas.model.IResponse;
import com.openfaas.model.Request;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every function answers when something escapes it, and to a caller that closes its connection. */
class JsonResponseTest {
  @Test
  void anErrorThatEscapesIsAnswered500WithItsCauseAndLogged() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    IResponse r = JsonResponse.guarded(new PrintStream(log, true, StandardCharsets.UTF_8), "emnist-train",
        new Request("{}", Map.of()), () -> {
          throw new UnsatisfiedLinkError("no jnind4jcpu in java.library.path");
        });
    assertEquals(500, r.getStatusCode());
    assertEquals("{\"error\":\"java.lang.UnsatisfiedLinkError: no jnind4jcpu in java.library.path\"}", r.getBody());
    String logged = log.toString(StandardCharsets.UTF_8);
    assertTrue(logged.startsWith("emnist-train: HTTP 500 for a request: java.lang.UnsatisfiedLinkError: no jnind4jcpu"),
        logged);
    assertTrue(logged.contains("\tat dev.emnistfaas.faas.JsonResponseTest"), "no stack trace: " + logged);
  }

  @Test
  void aCallerThatClosesItsConnectionIsToldItIsClosed() {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    IResponse closing = JsonResponse.guarded(quiet, "emnist-setup", new Request("", Map.of("connection", "Close")),
        () -> JsonResponse.of(200, JsonResponse.JSON.createObjectNode()));
    assertEquals("close", closing.getHeaders().get("Connection"));
    IResponse keeping = JsonResponse.guarded(quiet, "emnist-setup", new Request("", Map.of()),
        () -> JsonResponse.of(200, JsonResponse.JSON.createObjectNode()));
    assertNull(keeping.getHeaders().get("Connection"));
  }
}
