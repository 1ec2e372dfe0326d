package dev.emnistfaas.cli;

import dev.emnistfaas.local.GatewaySettings;
import dev.emnistfaas.local.LocalApiToken;
import dev.emnistfaas.local.LocalRuntime;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code emnist serve}: the local gateway and Redis, for faas-cli, curl or a browser. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start Redis (embedded unless REDIS_URL is set) and the local gateway with emnist-setup, "
        + "emnist-train and emnist-predict deployed, as OpenFaaS serves them; stop with Ctrl-C.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--port", description = "the gateway's port on 127.0.0.1 (default ${DEFAULT-VALUE}, OpenFaaS's; "
      + "0: any free port)")
  int port = 8080;

  @Option(names = "--data", description = "EMNIST directory the functions use (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--pods", description = "pods per function (default ${DEFAULT-VALUE})")
  int pods = 2;

  @Option(names = "--queue-workers", description = "queue workers (default ${DEFAULT-VALUE}; OpenFaaS CE: 1)")
  int queueWorkers = 2;

  @Option(names = "--routing", description = "ROUND_ROBIN or RANDOM (default ${DEFAULT-VALUE})")
  GatewaySettings.Routing routing = GatewaySettings.Routing.ROUND_ROBIN;

  @Option(names = "--max-inflight", description = "0: calls wait for a busy pod; 1: busy pods answer 429")
  int maxInflight = 0;

  @Option(names = "--ack-wait", description = "seconds before an unfinished async call is delivered again, 0: never")
  double ackWait = 0;

  @Option(names = "--cold-start", paramLabel = "SECONDS",
      description = "how long each pod takes to start before it serves its first call (default: ${DEFAULT-VALUE})")
  double coldStart = 0;

  @Override
  public Integer call() throws InterruptedException {
    List<String> problems = new ArrayList<>();
    if (port < 0 || port > 65535) {
      problems.add("--port: must be 0 (any free port) to 65535, got " + port);
    }
    if (pods < 1) {
      problems.add("--pods: must be at least 1, got " + pods);
    }
    if (queueWorkers < 1) {
      problems.add("--queue-workers: must be at least 1, got " + queueWorkers);
    }
    if (maxInflight != 0 && maxInflight != 1) {
      problems.add("--max-inflight: must be 0 (calls wait) or 1 (busy pods answer 429), got " + maxInflight);
    }
    if (!(ackWait >= 0)) {
      problems.add("--ack-wait: must be 0 (never) or more seconds, got " + ackWait);
    }
    if (!(coldStart >= 0)) {
      problems.add("--cold-start: must be 0 or more seconds, got " + coldStart);
    }
    if (!problems.isEmpty()) {
      throw new UsageError(problems);
    }
    if (DataHelp.reportIfMissing(data)) {
      return ExitCode.USAGE.code();
    }
    GatewaySettings settings = new GatewaySettings(pods, queueWorkers, routing, maxInflight,
        Duration.ofMillis((long) (ackWait * 1000)), Duration.ofMillis((long) (coldStart * 1000)));
    RedisSettings redis = RedisSettings.fromEnvironment();
    Map<String, String> env = System.getenv();
    try (LocalRuntime rt = new LocalRuntime(settings, redis.url().isPresent() ? Optional.of(redis) : Optional.empty(),
        TrainingConfig.downpourDefaults(Path.of(data).toAbsolutePath().toString()), LocalApiToken.get(env), port)) {
      String auth = "-H \"Authorization: Bearer $(cat " + LocalApiToken.source(env) + ")\"";
      if (!env.getOrDefault("EMNIST_API_TOKEN", "").isBlank()) {
        auth = "-H \"Authorization: Bearer $EMNIST_API_TOKEN\"";
      }
      System.out.println("gateway: " + rt.gatewayUrl() + "  (" + settings + ")");
      System.out.println("API token (every call wants it): " + LocalApiToken.source(env));
      System.out.println("  start a job:  curl " + auth + " -d '{\"workers\": 2}' " + rt.gatewayUrl()
          + "/function/emnist-setup");
      System.out.println("  its status:   curl " + auth + " '" + rt.gatewayUrl() + "/function/emnist-setup?job=ID'");
      System.out.println("pages (open them in a browser; the first link hands the token to this browser once):");
      System.out.println("  the jobs:           " + rt.gatewayUrl() + "/function/emnist-setup#token=" + rt.apiToken());
      System.out.println("  a job, live:        " + rt.gatewayUrl() + "/function/emnist-setup?job=ID");
      System.out.println("  draw a character:   " + rt.gatewayUrl() + "/function/emnist-predict");
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      stop.await();
    }
    return ExitCode.OK.code();
  }
}
