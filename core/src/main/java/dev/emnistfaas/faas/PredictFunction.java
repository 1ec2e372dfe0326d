package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.data.EmnistPreprocessing;
import dev.emnistfaas.nn.Classifier;
import dev.emnistfaas.ps.StoreException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * emnist-predict: reads one handwritten character with a trained model.
 *
 * <ul>
 *   <li>{@code {"pixels": [784 integers 0-255, row-major, upright], "job": "ID"}} (or {@code "model": "NAME"}, a
 *       model baked into the image; or {@code "png"} instead of pixels: a base64 picture of any size, prepared as
 *       EMNIST prepared NIST's; or the picture itself, base64, with {@code Content-Type: image/png} and
 *       {@code ?job=ID}) → the five likeliest characters, and the 28×28 image the network read.
 *   <li>Neither job nor model: the newest job with an evaluated model, else the first baked model.
 *   <li>{@code ?models=1}: the jobs and baked models to choose from.
 *   <li>An empty body (a browser's GET): the drawing page, to anyone (it holds no data).
 * </ul>
 * Predictions and the list of models are reads: they need the API token unless reads are public
 * ({@link ApiAccess}).
 * Bad input is refused with a 4xx that says what is wrong; every refusal and failure is logged to stderr.
 */
public final class PredictFunction {
  public static final String NAME = "emnist-predict";
  /** How many answers a prediction lists. */
  static final int TOP = 5;

  private final FunctionRuntime runtime;
  private final PrintStream log;
  private final LoadedModels models;

  public PredictFunction(FunctionRuntime runtime) {
    this(runtime, System.err);
  }

  public PredictFunction(FunctionRuntime runtime, PrintStream log) {
    this.runtime = runtime;
    this.log = log;
    this.models = new LoadedModels(runtime::jobs, Path.of(runtime.settings().defaults().dataDir()));
  }

  /**
   * The answer to {@code request}; whatever escapes (an Error such as missing native libraries or memory) is
   * answered 500 with its cause and logged, never an empty 500 (see {@link JsonResponse#guarded}).
   */
  public IResponse handle(IRequest request) {
    return JsonResponse.guarded(log, NAME, request, () -> answer(request));
  }

  private IResponse answer(IRequest request) {
    Map<String, String> query = request.getQuery() == null ? Map.of() : request.getQuery();
    IResponse asset = WebPages.asset(query);
    if (asset != null) {
      return asset;
    }
    boolean page = !query.containsKey("models") && (request.getBody() == null || request.getBody().isEmpty());
    if (page) {
      return WebPages.PREDICT.response();
    }
    String what = query.containsKey("models") ? "the list of models" : "a prediction";
    Optional<Refusal> refusal = runtime.settings().access().refuseRead(request);
    if (refusal.isPresent()) {
      return JsonResponse.refused(log, NAME, what, refusal.get());
    }
    try {
      if (query.containsKey("models")) {
        return JsonResponse.of(200, choices());
      }
      return JsonResponse.of(200, predict(PredictRequest.parse(request)));
    } catch (PredictRequest.Refused e) {
      return JsonResponse.error(log, NAME, "a prediction", e.status, e.getMessage());
    } catch (StoreException.NoSuchJob e) {
      return JsonResponse.error(log, NAME, "a prediction", 404, e.getMessage());
    } catch (StoreException e) {
      return JsonResponse.failure(log, NAME, "a prediction", 503, e);
    } catch (RuntimeException e) {
      return JsonResponse.failure(log, NAME, "a prediction", 500, e);
    }
  }

  private ObjectNode predict(PredictRequest request) {
    LoadedModels.Loaded model = request.job().map(models::forJob)
        .or(() -> request.model().map(models::baked))
        .orElseGet(this::newest);
    ObjectNode out = JsonResponse.JSON.createObjectNode();
    ArrayNode top = out.putArray("top");
    for (Classifier.Guess g : model.classifier().top(request.stored(), TOP)) {
      top.addObject().put("char", g.character()).put("p", g.probability());
    }
    request.job().ifPresent(j -> out.put("job", j));
    request.model().ifPresent(m -> out.put("model", m));
    out.put("source", model.source());
    if (!Double.isNaN(model.accuracy())) {
      out.put("modelAccuracy", model.accuracy());
    }
    ArrayNode seen = out.putArray("image");
    for (int v : EmnistPreprocessing.uprightFromStored(request.stored())) {
      seen.add(v);
    }
    return out;
  }

  /** No job or model named: the newest job with an evaluated model, else the first baked model. */
  private LoadedModels.Loaded newest() {
    List<String> baked = models.bakedNames();
    try {
      for (JsonNode job : runtime.jobs().list(20)) {
        String id = job.path("job").asText();
        if (runtime.jobs().bestAccuracy(id).isPresent()) {
          return models.forJob(id);
        }
      }
    } catch (StoreException e) {
      if (baked.isEmpty()) {
        throw e;
      }
      log.println(NAME + ": no job's model without Redis (" + e.getMessage() + "); answering with the baked model "
          + baked.get(0));
    }
    if (!baked.isEmpty()) {
      return models.baked(baked.get(0));
    }
    throw new PredictRequest.Refused(404, "no model to answer with: train a job first (emnist-setup), or name a "
        + "job with \"job\"");
  }

  /** The jobs (newest first, with their best accuracy) and the baked models. */
  private ObjectNode choices() {
    ObjectNode out = JsonResponse.JSON.createObjectNode();
    ArrayNode jobs = out.putArray("jobs");
    try {
      for (JsonNode job : runtime.jobs().list(20)) {
        Optional<Double> best = runtime.jobs().bestAccuracy(job.path("job").asText());
        ObjectNode n = jobs.addObject().put("job", job.path("job").asText())
            .put("created", job.path("created").asText()).put("state", job.path("state").asText());
        best.ifPresent(b -> n.put("bestAccuracy", b));
      }
    } catch (StoreException e) {
      // The baked models are still there to choose from.
      out.put("jobsError", "the jobs cannot be listed: " + e.getMessage());
      log.println(NAME + ": listing the jobs failed: " + e.getMessage());
    }
    ArrayNode baked = out.putArray("models");
    models.bakedNames().forEach(baked::add);
    return out;
  }
}
