package dev.emnistfaas.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.opentest4j.TestAbortedException;

/**
 * The real OpenFaaS CE components on this machine, through ../shared/openfaas-ce/harness: the CE gateway, NATS
 * Streaming, N CE queue-workers, of-watchdog in front of each pod's Java entrypoint, one network namespace per
 * pod, random routing unless a case says otherwise; Redis in the control namespace. The pods run the functions as scripts/check-template-build
 * laid them out, started like the image's fprocess, with emnist.yml's environment.
 */
final class CeHarness implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  /** A namespace prefix and state folder of our own, so a developer's own harness is never touched. */
  private static final String PREFIX = "emx-";
  private static final int GATEWAY_PORT = 18080;

  /** The upstream binaries the harness runs, and faas-cli, which the benchmark suite's cluster mode calls. */
  static final List<String> BINARIES =
      List.of("openfaas-gateway", "nats-queue-worker", "nats-streaming-server", "of-watchdog", "faas-cli");

  private final Path harness;
  private final Path binaries;
  private final Path state;
  private final Path project;

  /** How the gateway's provider picks a ready pod for each call. */
  enum Routing {
    /** As faas-netes CE does. */
    RANDOM("random"),
    /** One pod after the other: where a case needs to know that a call lands on an idle pod. */
    ROUND_ROBIN("rr");

    final String harnessName;

    Routing(String harnessName) {
      this.harnessName = harnessName;
    }
  }

  /** How one harness is set up; {@code env} is set in every function's environment over emnist.yml's. */
  record Setup(int queueWorkers, String ackWait, int trainPods, Routing routing, Map<String, String> env,
      int setupPods) {
    Setup(int queueWorkers, String ackWait, int trainPods, Routing routing) {
      this(queueWorkers, ackWait, trainPods, routing, Map.of(), 1);
    }

    static Setup clusterLike() {
      return new Setup(3, "60s", 3, Routing.RANDOM);
    }

    Setup withEnv(Map<String, String> settings) {
      return new Setup(queueWorkers, ackWait, trainPods, routing, Map.copyOf(settings), setupPods);
    }

    Setup withSetupPods(int pods) {
      return new Setup(queueWorkers, ackWait, trainPods, routing, env, pods);
    }
  }

  /** The API token (the emnist-api-token secret) of every harness this JVM starts; JobWatch sends it. */
  static final String API_TOKEN = java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(24));
  /** The key that signs the functions' calls to each other (the emnist-call-key secret); attack cases sign with it. */
  static final String CALL_KEY = java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(32));

  private CeHarness(Path harness, Path binaries, Path state, Path project) {
    this.harness = harness;
    this.binaries = binaries;
    this.state = state;
    this.project = project;
  }

  /** Starts the components with {@code setup}; tears down whatever started if that fails. */
  static CeHarness up(Setup setup) throws IOException, InterruptedException {
    Path ce = Path.of(requireEnv("OPENFAAS_CE")).toAbsolutePath().normalize();
    Path project = projectRoot();
    Path lib = project.resolve("build/emnist-train/function/target/lib");
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException("no function build in " + lib + ": run scripts/check-template-build first");
    }
    Path state = Path.of("/tmp/emnist-e2e-state");
    CeHarness h = new CeHarness(ce.resolve("harness"), binaries(project), state, project);
    h.down(); // a previous run that was killed before its teardown
    Path config = Files.createTempFile("emnist-e2e-", ".json");
    Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(h.config(setup)));
    Result r = h.run(600, h.harness.resolve("up.sh").toString(), config.toString());
    Files.deleteIfExists(config); // up.sh keeps its plan in the state folder; the config is not read again
    if (r.code() != 0) {
      h.down();
      throw new IllegalStateException("up.sh failed (" + r.code() + "):\n" + r.output());
    }
    return h;
  }

  /** Why every case is skipped, or null where the upstream binaries are on this machine; checked once. */
  private static String skipped;
  private static boolean checked;

  /**
   * Skips the calling case, reported as skipped (not passed) with one line saying why, where the upstream binaries
   * are not on this machine; fails where OPENFAAS_CE_BIN names an incomplete folder. Every suite on the real
   * components calls it before each case.
   */
  static synchronized void assumeUpstreamBinaries() throws IOException, InterruptedException {
    if (!checked) {
      try {
        binaries(projectRoot());
      } catch (TestAbortedException e) {
        skipped = e.getMessage();
      }
      checked = true;
    }
    Assumptions.assumeTrue(skipped == null, skipped);
  }

  /**
   * The folder of the upstream binaries, as scripts/openfaas-ce-bin finds it ({@code OPENFAAS_CE_BIN}). Unset, the
   * case is skipped, saying which binaries it needs; a folder named with OPENFAAS_CE_BIN that lacks one fails
   * instead, since its owner meant to run these.
   */
  static Path binaries(Path project) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(project.resolve("scripts/openfaas-ce-bin").toString()));
    cmd.addAll(BINARIES);
    Result r = run(30, Map.of(), cmd.toArray(String[]::new));
    String line = r.output().strip();
    if (r.code() == 0) {
      return Path.of(line);
    }
    String reason = "the real OpenFaaS CE components are not here: " + line;
    if (r.code() != 3 || System.getenv("OPENFAAS_CE_BIN") != null) {
      throw new IllegalStateException(reason);
    }
    System.out.println("SKIPPED (not run, not a pass): " + reason);
    throw new TestAbortedException(reason);
  }

  static Path projectRoot() {
    return Path.of(requireEnv("PROJECT_ROOT")).toAbsolutePath().normalize();
  }

  private static String requireEnv(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(name + " is not set (the e2e module's surefire configuration sets it)");
    }
    return v;
  }

  /** The harness config: the functions with emnist.yml's environment, Redis and the gateway reached by name. */
  private ObjectNode config(Setup setup) throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("routing", setup.routing().harnessName).put("expose_gateway_port", GATEWAY_PORT).put("ready_timeout_s", 300);
    c.putObject("queue_worker").put("replicas", setup.queueWorkers()).put("ack_wait", setup.ackWait());
    c.putObject("gateway").putObject("env").put("upstream_timeout", "65s");
    ArrayNode fns = c.putArray("functions");
    // Not under the state folder: up.sh starts that afresh.
    Path secrets = SECRETS;
    Files.createDirectories(secrets);
    Files.writeString(secrets.resolve("emnist-api-token"), API_TOKEN + "\n");
    Files.writeString(secrets.resolve("emnist-call-key"), CALL_KEY + "\n");
    JsonNode stack = new ObjectMapper(new YAMLFactory()).readTree(project.resolve("emnist.yml").toFile());
    for (String fn : List.of("emnist-setup", "emnist-train", "emnist-predict")) {
      ObjectNode env = environment(stack.path("functions").path(fn));
      env.put("REDIS_URL", "redis://redis:6379");
      // What people outside the cluster use (docs/operators.md: public_gateway_url); JobWatch follows the 202's link there.
      env.put("public_gateway_url", gateway().toString());
      env.remove("REDIS_PASSWORD_SECRET");
      env.put("dataDir", requireEnv("EMNIST_DIR"));
      env.put("OMP_NUM_THREADS", "1");
      // 75 % of the stack's memory limit, as the image's JVM takes (emnist-train 2 GiB, emnist-predict 768 MiB).
      env.put("JAVA_OPTS", fn.equals("emnist-predict") ? "-Xmx576m" : "-Xmx1536m");
      env.put("CLASSPATH", "function/target/lib/*");
      // The harness mounts no secrets (its README): the functions read theirs from a folder of files instead.
      env.put("secrets_dir", secrets.toString());
      env.put("suppress_lock", "true");
      setup.env().forEach(env::put);
      fns.addObject().put("name", fn).put("replicas", fn.equals("emnist-train") ? setup.trainPods()
          : fn.equals("emnist-setup") ? setup.setupPods() : 1)
          .put("workdir", project.resolve("build/" + fn).toString())
          // The image's fprocess (the template's function-process script), with the heap the stack's 2 GiB
          // limit would give (75 %) and the classpath the build laid out; the function writes the watchdog's
          // lock file when it is ready, as in the image (suppress_lock).
          .put("fprocess", "./function-process")
          .set("env", env);
    }
    return c;
  }

  /** A function's environment in the stack file, with the YAML merge key ({@code <<: *knobs}) applied. */
  private static ObjectNode environment(JsonNode function) {
    ObjectNode env = JSON.createObjectNode();
    JsonNode declared = function.path("environment");
    JsonNode merged = declared.path("<<");
    for (JsonNode source : List.of(merged, declared)) {
      for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getKey().equals("<<")) {
          env.put(e.getKey(), e.getValue().asText());
        }
      }
    }
    return env;
  }

  /** The folder of the upstream binaries this harness runs (faas-cli among them). */
  Path binaries() {
    return binaries;
  }

  URI gateway() {
    return URI.create("http://127.0.0.1:" + GATEWAY_PORT);
  }

  /** {@code redis-cli ARGS} against the harness's Redis; its output, trimmed. */
  String redis(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(harness.resolve("exec.sh").toString(), "redis-cli", "--raw"));
    cmd.addAll(List.of(args));
    Result r = run(30, cmd.toArray(String[]::new));
    if (r.code() != 0) {
      throw new IllegalStateException("redis-cli " + String.join(" ", args) + ": " + r.output());
    }
    return r.output().strip();
  }

  /** A string value from Redis, or null. */
  String redisGet(String key) throws IOException, InterruptedException {
    List<String> cmd = List.of(harness.resolve("exec.sh").toString(), "redis-cli", "--raw", "GET", key);
    Result r = run(30, cmd.toArray(String[]::new));
    String out = r.output().strip();
    return r.code() != 0 || out.isEmpty() ? null : out;
  }

  /**
   * What the harness's callback sink ({@code http://callback-sink:8099/...} as an X-Callback-Url) received: one JSON
   * object per callback, with its method, path (and query), headers and body.
   */
  JsonNode callbacksAtTheSink() throws IOException, InterruptedException {
    Result r = run(30, harness.resolve("exec.sh").toString(), "curl", "-s", "http://127.0.0.1:8099/_/callbacks");
    if (r.code() != 0) {
      throw new IllegalStateException("the callback sink did not answer: " + r.output());
    }
    return parse(r.output());
  }

  /** The pods of {@code function} the gateway routes to now (its provider's availableReplicas). */
  int availableReplicas(String function) throws IOException, InterruptedException {
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(gateway().resolve("/system/functions")).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    for (JsonNode f : parse(r.body())) {
      if (f.path("name").asText().equals(function)) {
        return f.path("availableReplicas").asInt();
      }
    }
    throw new IllegalStateException(function + " is not deployed: " + r.body());
  }

  /** Each queue-worker's log. */
  List<String> queueWorkerLogs() throws IOException {
    List<String> out = new ArrayList<>();
    try (var files = Files.list(state.resolve("logs"))) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("queue-worker-")).sorted().toList()) {
        out.add(Files.readString(f));
      }
    }
    return out;
  }

  /** Kills every process of pod {@code pod} with SIGKILL, as a node failure or an OOM kill would. */
  void killPod(String pod) throws IOException, InterruptedException {
    Result pids = run(30, "ip", "netns", "pids", PREFIX + pod);
    String list = pids.output().strip().replace('\n', ' ');
    if (list.isEmpty()) {
      throw new IllegalStateException("pod " + pod + " has no processes to kill");
    }
    run(30, ("kill -KILL " + list).split(" "));
  }

  /** Stops the harness's Redis and starts it again on the same folder, with AOF persistence. */
  void restartRedisWithAof() throws IOException, InterruptedException {
    redis("SHUTDOWN");
    Path dir = state.resolve("redis");
    Result r = run(60, "ip", "netns", "exec", PREFIX + "control", "redis-server", "--bind", "127.0.0.1", "10.244.0.1",
        "--port", "6379", "--protected-mode", "no", "--save", "", "--appendonly", "yes", "--dir", dir.toString(),
        "--daemonize", "yes", "--logfile", state.resolve("logs/redis-restarted.log").toString());
    if (r.code() != 0) {
      throw new IllegalStateException("redis-server did not start again: " + r.output());
    }
  }

  /** Pod {@code pod}'s log (the watchdog's, with the function's stdout and stderr): what kubectl logs shows. */
  String podLog(String pod) throws IOException {
    return Files.readString(state.resolve("logs/" + pod + ".log"));
  }

  /** Every emnist-train pod's log, one after the other. */
  String trainPodLogs() throws IOException {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(state.resolve("logs"))) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("emnist-train-")).sorted().toList()) {
        out.append(Files.readString(f));
      }
    }
    return out.toString();
  }

  /** Every call the stub provider routed to a pod, from the routes log. */
  List<JsonNode> routes() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    Path log = state.resolve("logs/routes.jsonl");
    if (Files.exists(log)) {
      for (String line : Files.readAllLines(log)) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }

  private void down() throws IOException, InterruptedException {
    if (Files.exists(state.resolve("pids")) || Files.exists(state.resolve("netns"))) {
      Result r = run(120, harness.resolve("down.sh").toString());
      if (r.code() != 0) {
        System.err.println("down.sh (" + r.code() + "): " + r.output());
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    down();
    Files.deleteIfExists(SECRETS.resolve("emnist-api-token"));
    Files.deleteIfExists(SECRETS.resolve("emnist-call-key"));
    Files.deleteIfExists(SECRETS);
  }

  /** The pods' secrets folder (the harness mounts none; the functions read {@code secrets_dir}). */
  private static final Path SECRETS = Path.of("/tmp/emnist-e2e-secrets");

  record Result(int code, String output) {}

  private Result run(int timeoutSeconds, String... command) throws IOException, InterruptedException {
    return run(timeoutSeconds, Map.of("OFH_BIN", binaries.toString(), "OFH_STATE", state.toString(),
        "OFH_PREFIX", PREFIX), command);
  }

  private static Result run(int timeoutSeconds, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }
}
