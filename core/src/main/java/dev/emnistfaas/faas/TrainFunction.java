package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.train.DownpourWorker;
import dev.emnistfaas.train.WorkerPosition;
import java.io.IOException;
import java.net.URI;
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

  static String body(String job, int worker, int slice) {
    return JsonResponse.JSON.createObjectNode().put("job", job).put("worker", worker).put("slice", slice).toString();
  }

  /**
   * Queues slice {@code slice} of a worker through the gateway, with a callback to emnist-setup that re-enqueues
   * it should the platform drop it (429 from a busy pod, 5xx).
   */
  static void invoke(FunctionRuntime runtime, String job, int worker, int slice) {
    URI callback = URI.create(runtime.settings().gateway() + "/function/" + SetupFunction.NAME + "?callback=1&job="
        + job + "&worker=" + worker + "&slice=" + slice);
    runtime.gateway().invokeAsync(NAME, body(job, worker, slice), Optional.of(callback));
  }

  public IResponse handle(IRequest request) {
    String job;
    int worker;
    int slice;
    try {
      JsonNode body = JsonResponse.JSON.readTree(request.getBody() == null ? "" : request.getBody());
      if (body == null || !body.path("job").isTextual() || !body.path("worker").canConvertToInt()) {
        return JsonResponse.error(400, "body must be {\"job\": \"<id>\", \"worker\": <index>}");
      }
      job = body.get("job").asText();
      worker = body.get("worker").asInt();
      slice = body.path("slice").asInt(0);
    } catch (IOException e) {
      return JsonResponse.error(400, "body is not JSON: " + e.getMessage());
    }
    try {
      DownpourWorker w = new DownpourWorker(runtime.jobs().parameters(job), runtime.jobs().jobStore(), job, worker,
          host, System.err);
      DownpourWorker.SliceOutcome outcome = w.runSlice(slice);
      WorkerPosition p = outcome.position();
      if (outcome.status() == DownpourWorker.Status.BUSY) {
        return JsonResponse.error(409, "worker " + worker + " of job " + job + " is running in another call");
      }
      if (outcome.status() == DownpourWorker.Status.CONTINUE) {
        invoke(runtime, job, worker, p.slices() + 1);
      }
      if (outcome.status() != DownpourWorker.Status.STALE) {
        runtime.jobs().recoverStalled(job, (j, wk, s) -> invoke(runtime, j, wk, s));
      }
      return JsonResponse.of(200, JsonResponse.JSON.createObjectNode().put("job", job).put("worker", worker)
          .put("status", outcome.status().name().toLowerCase(java.util.Locale.ROOT)).put("epoch", p.epoch())
          .put("steps", p.steps()).put("slices", p.slices()).put("samplesPerSecond", p.samplesPerSecond()));
    } catch (StoreException.NoSuchJob e) {
      // The job was deleted, expired, or Redis lost its data: nothing to resume, and no next slice.
      System.err.println("emnist-train: " + e.getMessage() + "; worker " + worker + " stops");
      return JsonResponse.error(404, e.getMessage());
    } catch (DownpourWorker.LeaseLost e) {
      return JsonResponse.error(409, e.getMessage());
    } catch (IllegalArgumentException e) {
      return JsonResponse.error(400, e.getMessage());
    } catch (StoreException e) {
      return JsonResponse.error(503, e.getMessage());
    } catch (RuntimeException e) {
      return JsonResponse.error(500, e.toString());
    }
  }
}
