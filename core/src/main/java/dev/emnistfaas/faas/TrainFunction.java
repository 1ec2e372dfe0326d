package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.train.DownpourWorker;
import dev.emnistfaas.train.WorkerPosition;
import java.io.IOException;
import java.util.Optional;

/**
 * emnist-train: one slice of one worker ({@code {"job": ID, "worker": i}}). When the worker is not finished,
 * the slice queues the next one with an asynchronous call of itself, so no call runs longer than a slice.
 */
public final class TrainFunction {
  public static final String NAME = "emnist-train";

  private final FunctionRuntime runtime;
  private final String host;

  public TrainFunction(FunctionRuntime runtime, String host) {
    this.runtime = runtime;
    this.host = host;
  }

  static String body(String job, int worker) {
    return JsonResponse.JSON.createObjectNode().put("job", job).put("worker", worker).toString();
  }

  public IResponse handle(IRequest request) {
    String job;
    int worker;
    try {
      JsonNode body = JsonResponse.JSON.readTree(request.getBody() == null ? "" : request.getBody());
      if (body == null || !body.path("job").isTextual() || !body.path("worker").canConvertToInt()) {
        return JsonResponse.error(400, "body must be {\"job\": \"<id>\", \"worker\": <index>}");
      }
      job = body.get("job").asText();
      worker = body.get("worker").asInt();
    } catch (IOException e) {
      return JsonResponse.error(400, "body is not JSON: " + e.getMessage());
    }
    try {
      DownpourWorker w = new DownpourWorker(runtime.jobs().parameters(job), runtime.jobs().jobStore(), job, worker,
          host, System.err);
      DownpourWorker.SliceOutcome outcome = w.runSlice();
      if (!outcome.finished()) {
        runtime.gateway().invokeAsync(NAME, body(job, worker), Optional.empty());
      }
      WorkerPosition p = outcome.position();
      return JsonResponse.of(200, JsonResponse.JSON.createObjectNode().put("job", job).put("worker", worker)
          .put("finished", outcome.finished()).put("epoch", p.epoch()).put("steps", p.steps())
          .put("slices", p.slices()).put("samplesPerSecond", p.samplesPerSecond()));
    } catch (StoreException.NoSuchJob e) {
      return JsonResponse.error(404, e.getMessage());
    } catch (IllegalArgumentException e) {
      return JsonResponse.error(400, e.getMessage());
    } catch (StoreException e) {
      return JsonResponse.error(503, e.getMessage());
    } catch (RuntimeException e) {
      return JsonResponse.error(500, e.toString());
    }
  }
}
