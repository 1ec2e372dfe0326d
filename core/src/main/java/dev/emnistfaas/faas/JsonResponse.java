package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;
import dev.emnistfaas.ps.StoreException;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Supplier;

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

  /**
   * A 5xx answer for a failure, logged with its stack trace; Redis unreachable or refusing the credentials (a
   * {@link StoreException}, not a bug of ours) is one line, which names the cause.
   */
  static IResponse failure(PrintStream log, String function, String request, int status, Throwable cause) {
    synchronized (log) {
      log.println(function + ": HTTP " + status + " for " + request + ": " + cause);
      if (!(cause instanceof StoreException)) {
        cause.printStackTrace(log);
      }
    }
    return of(status, JSON.createObjectNode().put("error", cause.toString()));
  }

  /**
   * {@code call}'s answer, made safe for the watchdog in front of the entrypoint: an Error (native libraries that
   * do not load, memory) or an exception that escaped the function is answered 500 with its cause and logged with
   * its stack trace, where the entrypoint would answer an empty 500 and log nothing; and a request that asked for
   * {@code Connection: close} gets it in the answer, so that of-watchdog does not reuse a connection the
   * entrypoint closes (measured: about 5 % of such calls answered an empty 500, "server closed idle connection").
   */
  static IResponse guarded(PrintStream log, String function, IRequest request, Supplier<IResponse> call) {
    IResponse r;
    try {
      r = call.get();
    } catch (RuntimeException | Error e) {
      r = failure(log, function, "a request", 500, e);
    }
    String connection = HttpHeaders.value(request.getHeaders(), "Connection");
    if (connection != null && connection.strip().equalsIgnoreCase("close")) {
      r.setHeader("Connection", "close");
    }
    return r;
  }

  static IResponse invalid(List<String> problems) {
    ObjectNode body = JSON.createObjectNode().put("error", "invalid training config: " + String.join("; ", problems));
    problems.forEach(body.putArray("problems")::add);
    return of(400, body);
  }
}
