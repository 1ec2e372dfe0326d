package dev.emnistfaas.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emnistfaas.local.GatewaySettings;
import dev.emnistfaas.local.Scenario;
import dev.emnistfaas.local.TrainingRun;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code emnist train}: Downpour SGD on this machine through the local gateway, with live progress. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train with Downpour SGD on this machine: an embedded Redis and a local gateway start, the job "
        + "is created through emnist-setup as on a cluster, and progress shows live. Results go to "
        + "RESULTS/<job>/ (result.json, accuracy.png, model.bin). Ctrl-C stops the workers and still writes the "
        + "results. Exit code 0 when the target was reached, 1 when not, 2 for a mistake in the options, 3 for a "
        + "runtime failure, 130 after Ctrl-C."})
final class TrainCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--workers", description = "workers M (default 2)")
  Integer workers;

  @Option(names = "--batch", description = "minibatch size (default 32)")
  Integer batch;

  @Option(names = "--nfetch", description = "fetch the global parameters every N steps (default 10)")
  Integer nFetch;

  @Option(names = "--npush", description = "push the accrued gradient every N steps (default 10)")
  Integer nPush;

  @Option(names = "--target", description = "target evaluation accuracy (default 0.75)")
  Double target;

  @Option(names = "--max-epochs", description = "epoch limit per worker (default 30)")
  Integer maxEpochs;

  @Option(names = "--lr", description = "learning rate of the store's update rule (default 0.05, Adagrad)")
  Double learningRate;

  @Option(names = "--hidden", description = "hidden units (default 100)")
  Integer hidden;

  @Option(names = "--network", description = "mlp (default; 784-hidden-classes, tanh) or layers such as "
      + "c16k3-p2-c32k3-p2-f128 (cNkK convolution, p2 pooling, fN dense)")
  String network;

  @Option(names = "--slice-seconds", description = "length of one emnist-train call (default 5)")
  Double sliceSeconds;

  @Option(names = "--algorithm", description = "downpour (default) or average: parameter averaging (no warm start "
      + "unless set)")
  String algorithm;

  @Option(names = "--local-steps", description = "parameter averaging: local steps per round (default 10)")
  Integer localSteps;

  @Option(names = "--set", description = "any other config field, e.g. --set dropout=0.1 (repeatable)")
  Map<String, String> extra = Map.of();

  @Option(names = "--scenario", description = "a benchmark scenario (tests/*.yml); the options above override it")
  Path scenario;

  @Option(names = "--gateway", description = "run on this OpenFaaS gateway (a cluster) instead of locally")
  URI remoteGateway;

  @Option(names = "--redis", description = "Redis URL (default: $REDIS_URL, else an embedded Redis)")
  String redis;

  @Option(names = "--results", description = "results directory (default ${DEFAULT-VALUE})")
  Path results = Path.of("results");

  @Option(names = "--queue-workers", description = "queue workers of the local gateway (default: M)")
  Integer queueWorkers;

  @Option(names = "--timeout", description = "give up after this many seconds (default ${DEFAULT-VALUE})")
  double timeout = 3600;

  /** The option that sets each config field; the others are set with {@code --set FIELD=VALUE}. */
  private static final Map<String, String> OPTION_OF_FIELD = Map.ofEntries(Map.entry("workers", "--workers"),
      Map.entry("batch", "--batch"), Map.entry("nFetch", "--nfetch"), Map.entry("nPush", "--npush"),
      Map.entry("targetAccuracy", "--target"), Map.entry("maxEpochs", "--max-epochs"),
      Map.entry("learningRate", "--lr"), Map.entry("hidden", "--hidden"), Map.entry("network", "--network"),
      Map.entry("sliceSeconds", "--slice-seconds"), Map.entry("algorithm", "--algorithm"),
      Map.entry("localSteps", "--local-steps"));

  @Override
  public Integer call() throws Exception {
    List<String> problems = new ArrayList<>();
    if (queueWorkers != null && queueWorkers < 1) {
      problems.add("--queue-workers: must be at least 1, got " + queueWorkers);
    }
    if (!(timeout > 0)) {
      problems.add("--timeout: must be more than 0 seconds, got " + timeout);
    }
    if (redis != null && !redis.startsWith("redis://") && !redis.startsWith("rediss://")) {
      problems.add("--redis: must be a redis:// or rediss:// URL, got " + redis);
    }
    // Found now, not after the whole job ran: where the results go must take a file.
    try {
      Files.createDirectories(results);
      Files.delete(Files.createTempFile(results, ".emnist-write-check-", ""));
    } catch (java.io.IOException | SecurityException e) {
      problems.add("--results: cannot write to " + results + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
    Map<String, String> sourceOf = new LinkedHashMap<>();
    ObjectNode overrides = JSON.createObjectNode();
    if (scenario != null) {
      try {
        overrides = (ObjectNode) JSON.readTree(Scenario.read(scenario).overridesJson());
      } catch (java.io.IOException e) {
        throw new UsageError("--scenario: " + (!Files.isRegularFile(scenario)
            ? scenario + " not found (the scenarios are tests/*.yml)"
            : e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? scenario + ": not YAML ("
                + j.getOriginalMessage() + (j.getLocation() == null ? "" : ", line " + j.getLocation().getLineNr())
                + ")" : e.getMessage()));
      }
      overrides.fieldNames().forEachRemaining(f -> sourceOf.put(f, "scenario " + scenario + ", field " + f));
    }
    put(overrides, sourceOf, "workers", workers);
    put(overrides, sourceOf, "batch", batch);
    put(overrides, sourceOf, "nFetch", nFetch);
    put(overrides, sourceOf, "nPush", nPush);
    put(overrides, sourceOf, "targetAccuracy", target);
    put(overrides, sourceOf, "maxEpochs", maxEpochs);
    put(overrides, sourceOf, "learningRate", learningRate);
    put(overrides, sourceOf, "hidden", hidden);
    put(overrides, sourceOf, "network", network);
    put(overrides, sourceOf, "sliceSeconds", sliceSeconds);
    put(overrides, sourceOf, "algorithm", algorithm);
    put(overrides, sourceOf, "localSteps", localSteps);
    for (var e : extra.entrySet()) {
      overrides.set(e.getKey(), literal(e.getValue()));
      sourceOf.put(e.getKey(), "--set " + e.getKey());
    }
    if (remoteGateway == null && data.isBlank()) {
      data = DataHelp.downloadedOrFetched().map(Path::toString).orElse("");
    }
    if (remoteGateway == null && DataHelp.reportIfMissing(data)) {
      return ExitCode.USAGE.code();
    }
    TrainingConfig defaults = TrainingConfig.downpourDefaults(data.isBlank() ? "/data"
        : Path.of(data).toAbsolutePath().toString());
    TrainingConfig.Overrides read = defaults.readOverrides(overrides.toString());
    // A field of the wrong type keeps its default, so the range checks of the rest still run: every problem at once.
    read.problems().forEach(p -> problems.add(named(p, sourceOf)));
    read.config().problems().forEach(p -> problems.add(named(p, sourceOf)));
    if (!problems.isEmpty()) {
      throw new UsageError(problems);
    }
    int m = read.config().workers();
    GatewaySettings gateway = new GatewaySettings(m, queueWorkers != null ? queueWorkers : m,
        GatewaySettings.Routing.ROUND_ROBIN, 0, Duration.ZERO, Duration.ZERO);
    RedisSettings env = RedisSettings.fromEnvironment();
    Optional<RedisSettings> store = redis != null
        ? Optional.of(new RedisSettings(Optional.of(URI.create(redis)), env.user(), env.password(), env.keyPrefix(),
            List.of(), env.trustedCertificates()))
        : env.url().map(u -> env);
    TrainingRun.Outcome outcome = TrainingRun.run(new TrainingRun.Options(gateway, store, defaults,
        overrides.toString(), results, System.out, System.console() != null,
        Duration.ofMillis((long) (timeout * 1000)), Optional.ofNullable(remoteGateway)));
    if (outcome.cancelled()) {
      return ExitCode.INTERRUPTED.code();
    }
    if (outcome.failed()) {
      return ExitCode.RUNTIME.code();
    }
    return (outcome.reached() ? ExitCode.OK : ExitCode.NOT_REACHED).code();
  }

  /** A config problem ("field: …") said with the option, --set or scenario field the value came from. */
  private static String named(String problem, Map<String, String> sourceOf) {
    int colon = problem.indexOf(':');
    String field = colon < 0 ? "" : problem.substring(0, colon);
    String source = sourceOf.getOrDefault(field, OPTION_OF_FIELD.get(field));
    return source == null ? problem : source + problem.substring(colon);
  }

  private static void put(ObjectNode node, Map<String, String> sourceOf, String field, Object value) {
    if (value != null) {
      node.set(field, JSON.valueToTree(value));
      sourceOf.put(field, OPTION_OF_FIELD.get(field));
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode literal(String value) {
    try {
      return JSON.readTree(value);
    } catch (java.io.IOException e) {
      return JSON.getNodeFactory().textNode(value);
    }
  }
}
