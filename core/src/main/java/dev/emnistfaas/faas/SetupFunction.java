package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.data.EmnistFormatException;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.train.DownpourJobs;
import dev.emnistfaas.train.TrainingConfig;
import java.util.List;
import java.util.Optional;

/**
 * emnist-setup. With {@code ?job=ID}: that job's status. Otherwise (a POST, its body an optional JSON object
 * of config overrides): validate, write the initial parameters and the config to Redis, start the M workers
 * with asynchronous emnist-train calls, and answer 202 with the job id. (The OpenFaaS Java entrypoint does not
 * pass the HTTP method to handlers, so the query decides.)
 */
public final class SetupFunction {
  public static final String NAME = "emnist-setup";

  private final FunctionRuntime runtime;

  public SetupFunction(FunctionRuntime runtime) {
    this.runtime = runtime;
  }

  public IResponse handle(IRequest request) {
    try {
      String job = request.getQuery() == null ? null : request.getQuery().get("job");
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
    return JsonResponse.of(200, runtime.jobs().status(job));
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
      runtime.gateway().invokeAsync(TrainFunction.NAME, TrainFunction.body(job, w), Optional.empty());
    }
    ObjectNode out = JsonResponse.JSON.createObjectNode()
        .put("job", job)
        .put("workers", config.workers())
        .put("status", runtime.settings().gateway() + "/function/" + NAME + "?job=" + job);
    out.set("config", JsonResponse.JSON.valueToTree(config));
    return JsonResponse.of(202, out);
  }
}
