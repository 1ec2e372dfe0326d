package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;
import java.util.List;

/** HTTP answers with JSON bodies; every error has {@code {"error": "..."}}. */
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

  static IResponse error(int status, String message) {
    return of(status, JSON.createObjectNode().put("error", message));
  }

  static IResponse invalid(List<String> problems) {
    ObjectNode body = JSON.createObjectNode().put("error", "invalid training config: " + String.join("; ", problems));
    problems.forEach(body.putArray("problems")::add);
    return of(400, body);
  }
}
