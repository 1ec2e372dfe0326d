package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.nn.Evaluation;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.ModelFile;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.ps.JobStore;
import dev.emnistfaas.ps.ParameterStore;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.DatasetCache;
import dev.emnistfaas.train.Algorithm;
import dev.emnistfaas.train.TrainingConfig;
import java.util.Map;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * One training run on this machine, as a cluster user would do it: an embedded Redis and the local gateway
 * start, the job is created through emnist-setup, its status is followed with live progress, and at the end
 * the results go to {@code <results>/<job>/}: {@code result.json}, {@code accuracy.png} and {@code model.bin}.
 * Ctrl-C cancels the job, waits for the workers to stop and still writes the results.
 */
public final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to run and where to report. With {@code remoteGateway} the job runs on that (cluster) gateway instead
   * of a local runtime, and no model file is written: its Redis is the cluster's.
   */
  public record Options(GatewaySettings gateway, Optional<RedisSettings> redis, TrainingConfig defaults,
      String overridesJson, Path resultsDir, PrintStream out, boolean terminal, Duration timeout,
      Optional<java.net.URI> remoteGateway) {}

  /** How the run ended; {@code failed}: the job stopped on an error (its message is in the result). */
  public record Outcome(String job, boolean reached, boolean cancelled, boolean failed, double modelAccuracy,
      Path directory, JsonNode result) {}

  private TrainingRun() {}

  public static Outcome run(Options o) {
    if (o.remoteGateway().isPresent()) {
      return follow(o, new GatewayJobClient(o.remoteGateway().get(), LocalApiToken.get(System.getenv())), null, null);
    }
    // Loaded before anything starts: a data file's problem is the user's to fix, and the job's clock then
    // measures training, as the references' clocks do.
    EmnistDataset data = DatasetCache.dataset(o.defaults().withJson(o.overridesJson()).dataSource());
    o.out().println(data.description());
    Map<String, String> env = System.getenv();
    try (LocalRuntime rt = new LocalRuntime(o.gateway(), o.redis(), o.defaults(), LocalApiToken.get(env))) {
      o.out().println("gateway " + rt.gatewayUrl() + "  (" + o.gateway() + "); API token in "
          + LocalApiToken.source(env));
      return follow(o, rt.client(), rt, data);
    }
  }

  /** How long a cancelled job may take to report every worker stopped before the results are written anyway. */
  private static final Duration CANCEL_GRACE = Duration.ofSeconds(20);

  /** Creates the job through emnist-setup and follows it; {@code rt} and {@code data} are null for a cluster. */
  private static Outcome follow(Options o, GatewayJobClient client, LocalRuntime rt, EmnistDataset data) {
    JsonNode created = client.create(o.overridesJson());
    String job = created.path("job").asText();
    TrainingConfig config = JSON.convertValue(created.path("config"), TrainingConfig.class);

    // Ctrl-C is handled as a signal, not in a shutdown hook: the run still needs Redis (kept out of the terminal's
    // process group by EmbeddedRedis) to cancel the job and collect the results. A second Ctrl-C exits at once;
    // System.exit runs the shutdown hooks, which stop Redis and remove its folder.
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicLong deadline = new AtomicLong(System.nanoTime() + o.timeout().toNanos());
    Signal sigint = new Signal("INT");
    SignalHandler previous = Signal.handle(sigint, sig -> {
      if (interrupted.getAndSet(true)) {
        System.exit(130);
      }
      o.out().println("\nstopping the workers (Ctrl-C again quits at once) ...");
      deadline.set(System.nanoTime() + CANCEL_GRACE.toNanos());
      Thread cancel = new Thread(() -> {
        try {
          client.cancel(job);
        } catch (RuntimeException e) {
          System.err.println("error: cancelling job " + job + ": " + e.getMessage());
        }
      }, "cancel-" + job);
      cancel.setDaemon(true);
      cancel.start();
    });
    // Announced only once Ctrl-C cancels it: a Ctrl-C right after this line must stop the job, not just this command.
    String algorithm = config.trainingAlgorithm() == Algorithm.AVERAGE
        ? String.format("parameter averaging every %d local steps (%s of each round)", config.localSteps(),
            config.roundUpdate())
        : String.format("fetch/push every %d/%d steps", config.nFetch(), config.nPush());
    o.out().printf("job %s: %d workers, batch %d, %s lr %.3g, %s, %d shard(s), target %.2f %%%n", job,
        config.workers(), config.batch(), config.optimizer(), config.learningRate(), algorithm, config.shards(),
        100 * config.targetAccuracy());
    o.out().println("live page: " + created.path("status").asText() + (rt != null
        ? "  (in a browser; served while this run lasts, ./emnist serve keeps the pages up)" : "  (in a browser)"));
    try {
      long start = System.nanoTime();
      ArrayNode progress = JSON.createArrayNode();
      AtomicReference<JsonNode> last = new AtomicReference<>();
      JsonNode status;
      try (ProgressView view = new ProgressView(o.out(), o.terminal(), config.maxEpochs(), config.targetAccuracy())) {
        status = client.awaitDone(job, deadline::get, Duration.ofMillis(200), s -> {
          last.set(s);
          double seconds = (System.nanoTime() - start) / 1e9;
          view.show(s, seconds);
          ObjectNode p = progress.addObject().put("seconds", seconds);
          ArrayNode epochs = p.putArray("epochs");
          s.path("workers").forEach(w -> epochs.add(w.path("epochs").asDouble()));
        });
      } catch (GatewayJobClient.NotDone e) {
        if (!interrupted.get() || last.get() == null) {
          throw e;
        }
        System.err.println("error: the workers did not all report stopping within " + CANCEL_GRACE.toSeconds()
            + " s; writing the results from the last status");
        status = last.get();
      }
      double wall = (System.nanoTime() - start) / 1e9;
      Outcome outcome = finish(o, rt, job, config, data, status, progress, wall, interrupted.get());
      printSummary(o.out(), outcome);
      return outcome;
    } finally {
      Signal.handle(sigint, previous);
    }
  }

  private static Outcome finish(Options o, LocalRuntime rt, String job, TrainingConfig config, EmnistDataset data,
      JsonNode status, ArrayNode progress, double wall, boolean interrupted) {
    ObjectNode result = JSON.createObjectNode();
    result.put("job", job);
    result.set("config", JSON.valueToTree(config));
    result.put("reached", status.path("reached").asBoolean());
    result.put("cancelled", status.path("cancelled").asBoolean() || interrupted);
    if (status.has("secondsToTarget")) {
      result.put("secondsToTarget", status.path("secondsToTarget").asDouble());
    }
    result.put("bestAccuracy", status.path("bestAccuracy").asDouble());
    result.put("bestBalancedAccuracy", status.path("bestBalancedAccuracy").asDouble());
    result.put("wallSeconds", wall);
    result.put("algorithm", config.algorithm());
    if (status.has("round")) {
      result.put("roundsClosed", status.path("round").asLong() - 1);
      result.put("contributions", status.path("contributions").asLong());
    }
    result.put("reenqueuedSlices", status.path("reenqueuedSlices").asLong());
    result.put("recoveredWorkers", status.path("recoveredWorkers").asLong());
    if (status.has("warning")) {
      result.put("warning", status.path("warning").asText());
    }
    result.put("failed", status.path("failed").asBoolean());
    if (status.has("error")) {
      result.put("error", status.path("error").asText());
    }
    result.set("workers", status.path("workers"));
    result.set("evaluations", status.path("evaluations"));
    result.set("progress", progress);
    Path dir = o.resultsDir().resolve(job);
    double modelAccuracy = Double.NaN;
    try {
      Files.createDirectories(dir);
      if (rt != null) {
        modelAccuracy = writeModel(rt, job, config, data, dir, result);
      }
      ResultFiles.writeJson(dir.resolve("result.json"), result);
      ResultFiles.writePlot(dir.resolve("accuracy.png"), result);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the results to " + dir, e);
    }
    return new Outcome(job, result.path("reached").asBoolean(), result.path("cancelled").asBoolean(),
        result.path("failed").asBoolean(), modelAccuracy, dir, result);
  }

  /** Saves model.bin and records its accuracy on the evaluation part in {@code result}; returns it. */
  private static double writeModel(LocalRuntime rt, String job, TrainingConfig config, EmnistDataset data, Path dir,
      ObjectNode result) throws IOException {
    // The model to keep is the best one evaluated (the one that reached the target), not wherever SGD's noise
    // left the parameters by the time every worker had seen the stop flag.
    ParameterVector params = ParameterVector.zeros(config.networkFor(data.train().classes()));
    Optional<JobStore.BestModel> best = rt.functions().jobs().jobStore().bestModel(job);
    if (best.isPresent()) {
      params.setBytes(best.get().parameters());
    } else {
      ParameterStore store = rt.functions().jobs().parameters(job);
      float[] values = new float[store.size()];
      store.fetch(values);
      params.set(values);
    }
    ModelFile model = ModelFile.of(params, data.train().mapping());
    Evaluation finalEval = new Evaluator(params.network(), data.eval()).evaluate(params);
    model.write(dir.resolve("model.bin"));
    result.put("data", data.description());
    result.put("modelAccuracy", finalEval.accuracy());
    result.put("modelBalancedAccuracy", finalEval.balancedAccuracy());
    result.put("modelLoss", finalEval.meanLoss());
    return finalEval.accuracy();
  }

  private static void printSummary(PrintStream out, Outcome outcome) {
    JsonNode r = outcome.result();
    out.println();
    // A worker of parameter averaging contributes once per round it takes part in, where Downpour's pushes.
    boolean averaging = r.path("algorithm").asText().equals(Algorithm.AVERAGE.configName());
    out.println("worker  epochs  samples/s  slices  " + (averaging ? "rounds" : "pushes") + "  on Redis  warm start  pod");
    for (JsonNode w : r.path("workers")) {
      out.printf("%6d  %6.2f  %9.0f  %6d  %6d  %6.1f %%  %8.1f s  %s%n", w.path("worker").asInt(),
          w.path("epochs").asDouble(), w.path("samplesPerSecond").asDouble(), w.path("slices").asInt(),
          w.path("pushes").asLong(), 100 * w.path("waitFraction").asDouble(), w.path("warmStartSeconds").asDouble(),
          w.path("host").asText());
    }
    out.println();
    if (outcome.reached() && Double.isNaN(outcome.modelAccuracy())) {
      out.printf("reached %.2f %% after %.2f s (best %.2f %%)%n",
          100 * r.path("config").path("targetAccuracy").asDouble(), r.path("secondsToTarget").asDouble(),
          100 * r.path("bestAccuracy").asDouble());
    } else if (outcome.reached()) {
      out.printf("reached %.2f %% after %.2f s (best %.2f %%; model.bin, the best evaluated: %.2f %%)%n",
          100 * r.path("config").path("targetAccuracy").asDouble(), r.path("secondsToTarget").asDouble(),
          100 * r.path("bestAccuracy").asDouble(), 100 * outcome.modelAccuracy());
    } else if (outcome.failed()) {
      out.printf("failed: %s; best %.2f %% (model.bin: %.2f %%)%n", r.path("error").asText(),
          100 * r.path("bestAccuracy").asDouble(), 100 * outcome.modelAccuracy());
    } else {
      out.printf("%s: best %.2f %% (model.bin: %.2f %%), target %.2f %% not reached%n",
          outcome.cancelled() ? "cancelled" : "finished", 100 * r.path("bestAccuracy").asDouble(),
          100 * outcome.modelAccuracy(), 100 * r.path("config").path("targetAccuracy").asDouble());
    }
    out.println("results in " + outcome.directory() + " (result.json, accuracy.png"
        + (Double.isNaN(outcome.modelAccuracy()) ? ")" : ", model.bin)"));
  }
}
