package dev.emnistfaas.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/'s Kubernetes manifests, checked without a cluster: every object read strictly into the Kubernetes API
 * types (an unknown or misplaced field, a wrong type or a bad quantity fails, as kubectl's field validation would),
 * the references between them, and what they run: their Redis configuration and commands, with the real
 * redis-server and redis-cli, only their paths and ports moved into a temporary folder.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of(System.getenv().getOrDefault("PROJECT_ROOT", "..")).resolve("deploy");
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();
  private static final String PASSWORD = "s3cret-" + ProcessHandle.current().pid();

  @TempDir
  Path tmp;

  private final List<Process> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws InterruptedException {
    for (Process p : servers) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The objects of one manifest file, read strictly into the API types. */
  private static List<HasMetadata> objects(String file) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (var docs = yaml.readerFor(JsonNode.class).readValues(DEPLOY.resolve(file).toFile())) {
      while (docs.hasNext()) {
        JsonNode doc = (JsonNode) docs.next();
        if (doc == null || doc.isEmpty()) {
          continue;
        }
        HasMetadata o = KUBE.unmarshal(doc.toString(), HasMetadata.class);
        String where = file + ": " + o.getKind() + " " + o.getMetadata().getName();
        List<String> unknown = new ArrayList<>();
        walk(o, where, unknown, new IdentityHashMap<>());
        assertEquals(List.of(), unknown, "fields the Kubernetes API does not have, or malformed values");
        assertEquals("openfaas-fn", o.getMetadata().getNamespace(), where);
        objects.add(o);
      }
    }
    return objects;
  }

  /** Collects every field the API types did not know (they keep those aside) and every malformed quantity. */
  private static void walk(Object o, String path, List<String> unknown, IdentityHashMap<Object, Boolean> seen) {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        walk(e, path + "[" + i++ + "]", unknown, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, unknown, seen));
      return;
    }
    if (o instanceof Quantity q) {
      try {
        Quantity.getAmountInBytes(q);
      } catch (IllegalArgumentException e) {
        unknown.add(path + ": malformed quantity " + q);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0 || Modifier.isStatic(g.getModifiers()) || !g.getName().startsWith("get")
          || g.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v;
      try {
        v = g.invoke(o);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(g.toString(), e);
      }
      if (g.getName().equals("getAdditionalProperties") && v instanceof Map<?, ?> extra) {
        extra.keySet().forEach(k -> unknown.add(path + "." + k));
      } else {
        String field = Character.toLowerCase(g.getName().charAt(3)) + g.getName().substring(4);
        walk(v, path + "." + field, unknown, seen);
      }
    }
  }

  private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  /** What the API server and this project require of a pod: labels the selector matches, resources, no root. */
  private static void assertRunnable(String where, Map<String, String> selector, PodTemplateSpec template) {
    assertTrue(template.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()),
        where + ": the selector " + selector + " does not match the pod's labels");
    PodSpec pod = template.getSpec();
    assertTrue(pod.getSecurityContext().getRunAsNonRoot(), where + ": may run as root");
    for (Container c : pod.getContainers()) {
      assertFalse(c.getImage().endsWith(":latest") || !c.getImage().contains(":"), where + ": unpinned " + c.getImage());
      assertTrue(c.getResources().getRequests().containsKey("cpu") && c.getResources().getRequests().containsKey("memory")
          && c.getResources().getLimits().containsKey("memory"), where + ": " + c.getName() + " lacks requests or a memory limit");
      c.getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
          .forEach(e -> assertEquals("redis-auth/redis-password", e.getValueFrom().getSecretKeyRef().getName() + "/"
              + e.getValueFrom().getSecretKeyRef().getKey(), where + ": the secret docs/operators.md tells to create"));
    }
  }

  /** The pod's affinity prefers the zone of the emnist-train pods. */
  private static void assertNearTheTrainingPods(String where, PodSpec pod) {
    var terms = pod.getAffinity().getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    assertTrue(terms.stream().anyMatch(t -> "topology.kubernetes.io/zone".equals(t.getPodAffinityTerm().getTopologyKey())
        && Map.of("faas_function", "emnist-train").equals(t.getPodAffinityTerm().getLabelSelector().getMatchLabels())),
        where + ": no preference for the emnist-train pods' zone");
  }

  /** A folder standing in for the container's file system: /etc/redis, /run/redis and /data moved under it. */
  private record Root(Path dir, int port) {
    String move(String text) {
      return text.replace("/etc/redis", dir.resolve("etc").toString()).replace("/run/redis", dir.resolve("run").toString())
          .replace(" /data", " " + dir.resolve("data")).replace("6379", Integer.toString(port))
          .replace("bind 0.0.0.0", "bind 127.0.0.1");
    }

    void install(ConfigMap config) throws IOException {
      for (String d : List.of("etc", "run", "data")) {
        Files.createDirectories(dir.resolve(d));
      }
      for (var e : config.getData().entrySet()) {
        Files.writeString(dir.resolve("etc").resolve(e.getKey()), move(e.getValue()));
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private record Ran(int code, String output) {}

  private static Ran run(Map<String, String> env, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " did not finish");
    return new Ran(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Starts the container's command as the pod would, from the moved root; waits until its port answers PING. */
  private Process start(Root root, Container c, Map<String, String> env) throws Exception {
    List<String> command = c.getCommand().stream().map(root::move).toList();
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(root.dir().resolve("server.log").toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    servers.add(p);
    awaitProbe(root, c, env);
    return p;
  }

  /** Runs the container's readiness probe until it passes (the server is up and takes the password). */
  private static void awaitProbe(Root root, Container c, Map<String, String> env) throws Exception {
    List<String> probe = c.getReadinessProbe().getExec().getCommand().stream().map(root::move).toList();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Ran r;
    while ((r = run(env, probe)).code() != 0) {
      assertTrue(System.nanoTime() < deadline, "readiness probe " + probe + " never passed: " + r.output()
          + "\n" + Files.readString(root.dir().resolve("server.log")));
      Thread.sleep(200);
    }
  }

  private static String cli(int port, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
    cmd.addAll(List.of(args));
    return run(Map.of("REDISCLI_AUTH", PASSWORD), cmd).output().strip();
  }

  /**
   * The stack file asks what the images already support and what the functions need: a read-only root (they
   * write only to /tmp), and each function's secrets (the API token where callers arrive, the call key where
   * calls between the functions are signed and checked).
   */
  @Test
  void theStackAsksForReadOnlyRootsAndEachFunctionsSecrets() throws IOException {
    JsonNode stack = new ObjectMapper(new YAMLFactory()).readTree(DEPLOY.resolveSibling("emnist.yml").toFile());
    Map<String, List<String>> secrets = Map.of(
        "emnist-setup", List.of("redis-password", "emnist-api-token", "emnist-call-key"),
        "emnist-train", List.of("redis-password", "emnist-call-key"),
        "emnist-predict", List.of("redis-password", "emnist-api-token"));
    for (var e : secrets.entrySet()) {
      JsonNode fn = stack.path("functions").path(e.getKey());
      assertTrue(fn.path("readonly_root_filesystem").asBoolean(), e.getKey() + ": no read-only root: " + fn);
      List<String> listed = new ArrayList<>();
      fn.path("secrets").forEach(n -> listed.add(n.asText()));
      assertEquals(e.getValue(), listed, e.getKey() + "'s secrets");
    }
  }

  @Test
  void standaloneRedisKeepsItsDataAcrossAKillAndWantsThePassword() throws Exception {
    List<HasMetadata> objects = objects("redis-standalone.yaml");
    StatefulSet set = one(objects, StatefulSet.class, "redis");
    Service service = one(objects, Service.class, "redis-master");
    assertEquals(set.getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector(),
        "the Service emnist.yml's REDIS_URL names must reach the Redis pod");
    assertEquals("redis-master", set.getSpec().getServiceName());
    assertRunnable("redis", set.getSpec().getSelector().getMatchLabels(), set.getSpec().getTemplate());
    assertNearTheTrainingPods("redis", set.getSpec().getTemplate().getSpec());
    assertTrue(new String(Files.readAllBytes(DEPLOY.resolveSibling("emnist.yml")), StandardCharsets.UTF_8)
        .contains("REDIS_URL: redis://redis-master.openfaas-fn:6379"), "emnist.yml no longer names this Service");

    Root root = new Root(tmp.resolve("redis-0"), freePort());
    root.install(one(objects, ConfigMap.class, "redis-config"));
    Container redis = set.getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = Map.of("REDIS_PASSWORD", PASSWORD);
    Process server = start(root, redis, env);

    // The password reaches Redis through a file only its user can read, not through its command line.
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(root.dir().resolve("run/auth.conf"))));
    String anonymous = run(Map.of(), List.of("redis-cli", "-p", Integer.toString(root.port()), "ping")).output();
    assertTrue(anonymous.contains("NOAUTH"), "Redis answered without the password: " + anonymous);
    assertEquals("noeviction", cli(root.port(), "config", "get", "maxmemory-policy").lines().skip(1).findFirst().orElse(""));
    assertEquals("OK", cli(root.port(), "set", "emnist:probe", "kept"));
    // The append-only file has the write (fsync every second), then the server dies as an OOM kill would.
    Path aof = root.dir().resolve("data/appendonlydir");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!aofHolds(aof, "emnist:probe")) {
      assertTrue(System.nanoTime() < deadline, "the write never reached the append-only file in " + aof);
      Thread.sleep(100);
    }
    server.descendants().forEach(ProcessHandle::destroyForcibly);
    server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    start(root, redis, env);
    assertEquals("kept", cli(root.port(), "get", "emnist:probe"));
  }

  private static boolean aofHolds(Path dir, String key) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(key)) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void threeMastersFormOneClusterOnceAndAnnounceTheirNames() throws Exception {
    List<HasMetadata> objects = objects("redis-cluster.yaml");
    StatefulSet set = one(objects, StatefulSet.class, "redis-cluster");
    Service headless = one(objects, Service.class, "redis-cluster");
    Job create = one(objects, Job.class, "redis-cluster-create");
    assertEquals("None", headless.getSpec().getClusterIP());
    assertTrue(headless.getSpec().getPublishNotReadyAddresses(), "the nodes must find each other before ready");
    assertEquals(set.getSpec().getSelector().getMatchLabels(), headless.getSpec().getSelector());
    assertEquals(3, set.getSpec().getReplicas());
    assertRunnable("redis-cluster", set.getSpec().getSelector().getMatchLabels(), set.getSpec().getTemplate());
    assertRunnable("redis-cluster-create", Map.of(), create.getSpec().getTemplate());
    assertNearTheTrainingPods("redis-cluster", set.getSpec().getTemplate().getSpec());
    Container redis = set.getSpec().getTemplate().getSpec().getContainers().get(0);
    Container creator = create.getSpec().getTemplate().getSpec().getContainers().get(0);
    String nodes = creator.getEnv().stream().filter(e -> e.getName().equals("NODES")).findFirst().orElseThrow().getValue();
    List<String> names = List.of(nodes.trim().split("\\s+"));
    for (int i = 0; i < 3; i++) {
      assertEquals("redis-cluster-" + i + ".redis-cluster.openfaas-fn.svc.cluster.local:6379", names.get(i));
    }
    assertTrue(redis.getEnv().stream().anyMatch(e -> e.getName().equals("NODE_HOSTNAME")
        && e.getValue().equals("$(POD_NAME).redis-cluster.openfaas-fn.svc.cluster.local")));

    // Three masters from the manifest's configuration and command, on three ports of this machine; each announces
    // a name of its own (here an address, as no DNS serves the pods' names).
    ConfigMap config = one(objects, ConfigMap.class, "redis-cluster-config");
    List<Root> roots = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Root root = new Root(tmp.resolve("redis-cluster-" + i), freePort());
      root.install(config);
      start(root, redis, Map.of("REDIS_PASSWORD", PASSWORD, "NODE_HOSTNAME", "127.0.0.1"));
      roots.add(root);
    }
    String nodeList = String.join(" ", roots.stream().map(r -> "127.0.0.1:" + r.port()).toList());
    Root first = roots.get(0);
    List<String> script = creator.getCommand().stream().map(first::move).toList();
    Ran made = run(Map.of("NODES", nodeList, "REDIS_PASSWORD", PASSWORD), script);
    assertEquals(0, made.code(), made.output());
    assertTrue(made.output().contains("[OK] All 16384 slots covered."), made.output());

    for (Root r : roots) {
      String info = cli(r.port(), "cluster", "info");
      assertTrue(info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3")
          && info.contains("cluster_size:3"), info);
    }
    String shards = cli(first.port(), "cluster", "shards");
    assertTrue(shards.contains("hostname\n127.0.0.1"), "the nodes do not announce their names:\n" + shards);
    // Keys spread over the masters through any of them (redis-cli -c follows MOVED), with the password.
    for (int k = 0; k < 30; k++) {
      assertEquals("OK", run(Map.of("REDISCLI_AUTH", PASSWORD), List.of("redis-cli", "-c", "-p",
          Integer.toString(first.port()), "set", "emnist:{job" + k + "}:probe", "v")).output().strip());
    }
    for (Root r : roots) {
      assertTrue(Long.parseLong(cli(r.port(), "dbsize")) > 0, "a master holds none of 30 jobs' keys");
    }

    Ran again = run(Map.of("NODES", nodeList, "REDIS_PASSWORD", PASSWORD), script);
    assertEquals(0, again.code(), again.output());
    assertTrue(again.output().contains("cluster already formed"), again.output());
  }
}
