package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.data.EmnistFormatException;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.train.DownpourJobs;
import dev.emnistfaas.train.TrainingConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * emnist-setup. With {@code ?job=ID}: that job's status (and stalled workers are re-invoked);
 * {@code ?job=ID&cancel=1}: stop the job. {@code ?callback=1&job=…&worker=…&slice=…}: the gateway's callback
 * for an emnist-train call; a slice dropped by the platform (429 from a busy pod, 5xx) is queued again.
 * Otherwise (a POST, its body an optional JSON object of config overrides): validate, write the initial
 * parameters and the config to Redis, start the M workers with asynchronous emnist-train calls, and answer 202
 * with the job id. (The OpenFaaS Java entrypoint does not pass the HTTP method to handlers, so the query
 * decides.)
 */
public final class SetupFunction {
  public static final String NAME = "emnist-setup";
  /** Re-enqueues of one slice before the job is marked failed. */
  static final int MAX_REENQUEUES = 30;
  /** How long a cancelled job's keys stay readable. */
  static final Duration KEEP_CANCELLED = Duration.ofHours(1);

  private final FunctionRuntime runtime;

  public SetupFunction(FunctionRuntime runtime) {
    this.runtime = runtime;
  }

  public IResponse handle(IRequest request) {
    try {
      Map<String, String> query = request.getQuery() == null ? Map.of() : request.getQuery();
      String job = query.get("job");
      if (query.containsKey("callback")) {
        return callback(request, query);
      }
      if (job != null && query.containsKey("cancel")) {
        runtime.jobs().cancel(job, KEEP_CANCELLED);
        return status(job);
      }
      return job != null ? status(job) : create(request.getBody());
    } catch (StoreException.NoSuchJob e) {
      return JsonResponse.error(404, e.getMessage());
    } catch (StoreException e) {
      return JsonResponse.error(503, e.getMessage());
    } catch (RuntimeException e) {
      return JsonResponse.error(500, e.toString());
    }
  }

  private IResponse status(String job) {
    return JsonResponse.of(200,
        runtime.jobs().recoverAndReport(job, (j, w, s) -> TrainFunction.invoke(runtime, j, w, s)));
  }

  /** A finished async call of emnist-train: queue the slice again if the platform dropped it. */
  private IResponse callback(IRequest request, Map<String, String> query) {
    int status = parseInt(HttpHeaders.value(request.getHeaders(), "X-Function-Status"), 0);
    String job = query.get("job");
    int worker = parseInt(query.get("worker"), -1);
    int slice = parseInt(query.get("slice"), 0);
    if (job == null || worker < 0 || slice < 1) {
      return JsonResponse.error(400, "callback needs job, worker and slice in its query");
    }
    if (status != 429 && status < 500) {
      return JsonResponse.of(200, JsonResponse.JSON.createObjectNode().put("requeued", false));
    }
    long attempt = runtime.jobs().jobStore().count(job, "retry:" + worker + ":" + slice, 1);
    if (attempt > MAX_REENQUEUES) {
      runtime.jobs().jobStore().requestStop(job, JsonResponse.JSON.createObjectNode().put("reason", "failed")
          .put("error", "slice " + slice + " of worker " + worker + " failed " + MAX_REENQUEUES
              + " times (last HTTP " + status + ")").toString());
      return JsonResponse.of(200, JsonResponse.JSON.createObjectNode().put("requeued", false));
    }
    // Bounded backoff: a pod busy now is likely free within a slice; 50 ms doubling up to 2 s.
    sleep(Math.min(2000, 50L << Math.min(attempt - 1, 6)));
    runtime.jobs().jobStore().count(job, "reenqueued", 1);
    TrainFunction.invoke(runtime, job, worker, slice);
    return JsonResponse.of(200, JsonResponse.JSON.createObjectNode().put("requeued", true));
  }

  private static int parseInt(String s, int fallback) {
    try {
      return s == null ? fallback : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private IResponse create(String body) {
    TrainingConfig config;
    try {
      config = runtime.settings().defaults().withJson(body);
    } catch (IllegalArgumentException e) {
      return JsonResponse.invalid(List.of(e.getMessage()));
    }
    List<String> problems = DownpourJobs.problems(config);
    if (!problems.isEmpty()) {
      return JsonResponse.invalid(problems);
    }
    String job;
    try {
      job = runtime.jobs().create(config);
    } catch (EmnistFormatException e) {
      return JsonResponse.invalid(List.of("dataDir: " + e.getMessage()));
    }
    for (int w = 0; w < config.workers(); w++) {
      TrainFunction.invoke(runtime, job, w, 1);
    }
    ObjectNode out = JsonResponse.JSON.createObjectNode()
        .put("job", job)
        .put("workers", config.workers())
        .put("status", runtime.settings().gateway() + "/function/" + NAME + "?job=" + job);
    out.set("config", JsonResponse.JSON.valueToTree(config));
    return JsonResponse.of(202, out);
  }
}
