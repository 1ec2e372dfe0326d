package dev.emnistfaas.ps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;

/** A Redis Cluster of three masters on loopback, from the embedded redis-server binary, for tests. */
public final class EmbeddedCluster implements AutoCloseable {
  private final List<EmbeddedRedis> nodes = new ArrayList<>();

  public EmbeddedCluster(Path dir) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      int port = EmbeddedRedis.freePort();
      nodes.add(EmbeddedRedis.start(port, dir, false, List.of("cluster-enabled yes",
          "cluster-config-file nodes-" + port + ".conf", "cluster-node-timeout 5000")));
    }
    // Introduce the nodes to each other and split the 16384 slots between them.
    for (int i = 0; i < nodes.size(); i++) {
      try (Jedis j = new Jedis("127.0.0.1", nodes.get(i).port())) {
        if (i > 0) {
          j.clusterMeet("127.0.0.1", nodes.get(0).port());
        }
        j.clusterAddSlots(slotsOf(i, nodes.size()));
      }
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    for (EmbeddedRedis node : nodes) {
      try (Jedis j = new Jedis("127.0.0.1", node.port())) {
        while (!j.clusterInfo().contains("cluster_state:ok")) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("cluster did not become ready: " + j.clusterInfo());
          }
          Thread.sleep(50);
        }
      }
    }
  }

  /** The hash slots master {@code i} of {@code masters} serves: an even share of the 16384, in order. */
  static int[] slotsOf(int i, int masters) {
    int from = 16384 * i / masters;
    int to = 16384 * (i + 1) / masters;
    int[] slots = new int[to - from];
    for (int s = 0; s < slots.length; s++) {
      slots[s] = from + s;
    }
    return slots;
  }

  public List<String> seeds() {
    return nodes.stream().map(n -> "127.0.0.1:" + n.port()).toList();
  }

  /** Keys held by each node. */
  List<Long> keysPerNode() {
    List<Long> out = new ArrayList<>();
    for (EmbeddedRedis n : nodes) {
      try (Jedis j = new Jedis("127.0.0.1", n.port())) {
        out.add(j.dbSize());
      }
    }
    return out;
  }

  /** The keys each node holds that match {@code pattern} (a KEYS pattern). */
  public List<List<String>> keysPerNode(String pattern) {
    List<List<String>> out = new ArrayList<>();
    for (EmbeddedRedis n : nodes) {
      try (Jedis j = new Jedis("127.0.0.1", n.port())) {
        out.add(new ArrayList<>(j.keys(pattern)));
      }
    }
    return out;
  }

  @Override
  public void close() {
    nodes.forEach(EmbeddedRedis::close);
  }
}
