package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;
import java.io.PrintStream;
import java.util.List;

/**
 * HTTP answers with JSON bodies; every error has {@code {"error": "..."}}, and every error answer is also
 * logged to the pod's stderr (what {@code kubectl logs} shows): one line for a refused request, the stack
 * trace too for a failure of our own.
 */
final class JsonResponse {
  static final ObjectMapper JSON = new ObjectMapper();

  private JsonResponse() {}

  static IResponse of(int status, JsonNode body) {
    Response r = new Response();
    r.setStatusCode(status);
    r.setContentType("application/json");
    r.setBody(body.toString());
    return r;
  }

  /** An error answer with {@code message}, logged as one line naming the function and the request. */
  static IResponse error(PrintStream log, String function, String request, int status, String message) {
    log.println(function + ": HTTP " + status + " for " + request + ": " + message);
    return of(status, JSON.createObjectNode().put("error", message));
  }

  /** A refused request ({@link Refusal}): logged as one line; a 401 names the scheme it wants. */
  static IResponse refused(PrintStream log, String function, String request, Refusal refusal) {
    IResponse r = error(log, function, request, refusal.status(), refusal.reason());
    if (refusal.status() == 401) {
      r.setHeader("WWW-Authenticate", "Bearer realm=\"emnist\"");
    }
    return r;
  }

  /** A 5xx answer for an unexpected failure, logged with its stack trace. */
  static IResponse failure(PrintStream log, String function, String request, int status, Throwable cause) {
    synchronized (log) {
      log.println(function + ": HTTP " + status + " for " + request + ": " + cause);
      cause.printStackTrace(log);
    }
    return of(status, JSON.createObjectNode().put("error", cause.toString()));
  }

  static IResponse invalid(List<String> problems) {
    ObjectNode body = JSON.createObjectNode().put("error", "invalid training config: " + String.join("; ", problems));
    problems.forEach(body.putArray("problems")::add);
    return of(400, body);
  }
}
