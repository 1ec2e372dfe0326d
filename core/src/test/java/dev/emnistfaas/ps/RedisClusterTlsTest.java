package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * A Redis Cluster over TLS (three TLS-only masters, the cluster bus on TLS too): the store reaches it with
 * rediss:// and REDIS_CLUSTER_NODES, as docs/operators.md's least-privilege ACL user plus {@code +cluster|slots}.
 */
class RedisClusterTlsTest {
  @TempDir Path certificates;
  @TempDir Path secrets;

  @Test
  void theStoreWorksOnAClusterOverTlsAsTheLeastPrivilegeUser() throws Exception {
    TlsRedis.assumeAvailable();
    TlsRedis.makeCertificates(certificates);
    List<TlsRedis> nodes = TlsRedis.startCluster(certificates, "admin", "admin-password-0123",
        List.of("user emnist on >emnist-password-0123 " + RedisTlsTest.LEAST_PRIVILEGE + " +cluster|slots"));
    try {
      join(nodes);
      Files.copy(certificates.resolve("ca.crt"), secrets.resolve("redis-ca"));
      String seeds = nodes.stream().map(n -> "127.0.0.1:" + n.port).collect(Collectors.joining(","));
      RedisSettings settings = RedisSettings.fromEnvironment(Map.of("REDIS_URL", "rediss://127.0.0.1:" + nodes.get(0).port,
          "REDIS_CLUSTER_NODES", seeds, "REDIS_USER", "emnist", "REDIS_PASSWORD", "emnist-password-0123"), secrets);
      try (RedisConnection redis = RedisConnection.open(settings, RedisConnection.Backoff.DEFAULT)) {
        assertTrue(redis.clustered());
        assertEquals(3, redis.masters());
        float[] initial = new float[20_000];
        for (int i = 0; i < initial.length; i++) {
          initial[i] = i;
        }
        ParameterStore store = ParameterStore.create(redis, "emnist", "tls-cluster-job", initial, 6,
            new UpdateRule(UpdateRule.Kind.SGD, 1f), Duration.ofHours(1));
        float[] gradient = new float[initial.length];
        java.util.Arrays.fill(gradient, 2f);
        float[] fetched = new float[initial.length];
        store.pusher("worker-0").pushAndFetch(gradient, fetched);
        float[] expected = initial.clone();
        for (int i = 0; i < expected.length; i++) {
          expected[i] -= 2f;
        }
        assertArrayEquals(expected, fetched, 0f);
        assertEquals(6, store.updates());
        List<Long> keysPerNode = new ArrayList<>();
        for (TlsRedis n : nodes) {
          try (Jedis j = admin(n)) {
            keysPerNode.add(j.dbSize());
          }
        }
        assertEquals(3, keysPerNode.stream().filter(k -> k > 0).count(), "six shards on all three masters: "
            + keysPerNode);
        JobStore jobs = new JobStore(redis, "emnist", Duration.ofHours(1));
        assertTrue(jobs.create("tls-cluster-job", "{}", 1L));
        assertTrue(jobs.acquireLease("tls-cluster-job", 0, "token", Duration.ofSeconds(30)));
        assertEquals(JobStore.SaveResult.SAVED, jobs.saveWorker("tls-cluster-job", 0, "token", Optional.empty(),
            "{\"slices\":1}"));
        store.delete();
      }
    } finally {
      for (TlsRedis n : nodes) {
        n.close();
      }
    }
  }

  private Jedis admin(TlsRedis node) {
    return new Jedis(new HostAndPort("127.0.0.1", node.port), DefaultJedisClientConfig.builder().ssl(true)
        .sslSocketFactory(TrustedCertificates.socketFactory(certificates.resolve("ca.crt"))).user("admin")
        .password("admin-password-0123").build());
  }

  /** Introduces the nodes to each other (with their bus ports) and splits the 16384 slots between them. */
  private void join(List<TlsRedis> nodes) throws InterruptedException {
    for (int i = 0; i < nodes.size(); i++) {
      try (Jedis j = admin(nodes.get(i))) {
        if (i > 0) {
          j.sendCommand(Protocol.Command.CLUSTER, "MEET", "127.0.0.1", "" + nodes.get(0).port,
              "" + nodes.get(0).busPort);
        }
        j.clusterAddSlots(EmbeddedCluster.slotsOf(i, nodes.size()));
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (TlsRedis n : nodes) {
      try (Jedis j = admin(n)) {
        while (!j.clusterInfo().contains("cluster_state:ok")) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the TLS cluster did not become ready: " + j.clusterInfo());
          }
          Thread.sleep(50);
        }
      }
    }
  }
}
