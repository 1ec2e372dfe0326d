package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parameter store on a three-node Redis Cluster (real servers on loopback). */
class ClusterParameterStoreTest {
  @TempDir Path dir;

  @Test
  void concurrentPushesOnAClusterLoseNoUpdateAndShardsSpreadOverNodes() throws Exception {
    int size = 83_247;
    int pushers = 4;
    int pushesEach = 200;
    try (EmbeddedCluster cluster = new EmbeddedCluster(dir);
        RedisConnection redis = RedisConnection.open(RedisSettings.cluster(cluster.seeds()),
            RedisConnection.Backoff.DEFAULT)) {
      assertTrue(redis.clustered());
      float[] initial = new float[size];
      for (int i = 0; i < size; i++) {
        initial[i] = i % 1000;
      }
      ParameterStore store = ParameterStore.create(redis, "emnist", "cluster-job", initial, 6,
          new UpdateRule(UpdateRule.Kind.SGD, 1f), Duration.ofHours(1));
      long busyNodes = cluster.keysPerNode().stream().filter(n -> n > 0).count();
      assertEquals(3, busyNodes, "six shards should spread over all three masters: " + cluster.keysPerNode());

      ConcurrentPushers.Gradient gradient = (t, k, i) -> ((t * 7 + k * 3 + i) % 5) - 2;
      ConcurrentPushers.run(pushers, thread -> {
        ParameterStore.Pusher mine = ParameterStore.open(redis, "emnist", "cluster-job").pusher("worker-" + thread);
        float[] g = new float[size];
        for (int k = 0; k < pushesEach; k++) {
          for (int i = 0; i < size; i++) {
            g[i] = gradient.at(thread, k, i);
          }
          mine.push(g);
        }
        return null;
      });
      float[] expected = ConcurrentPushers.afterEveryPush(initial, pushers, pushesEach, gradient);
      float[] actual = new float[size];
      store.fetch(actual);
      assertArrayEquals(expected, actual, 0f);
      assertEquals((long) pushers * pushesEach * 6, store.updates());

      JobStore jobs = new JobStore(redis, "emnist", Duration.ofHours(1));
      assertTrue(jobs.create("cluster-job", "{}", 1L));
      assertTrue(jobs.acquireLease("cluster-job", 0, "token", Duration.ofSeconds(5)));
      assertEquals(JobStore.SaveResult.SAVED, jobs.saveWorker("cluster-job", 0, "token", java.util.Optional.empty(),
          "{\"slices\":1}"));
      assertEquals("{\"slices\":1}", jobs.worker("cluster-job", 0).orElseThrow());

      store.delete();
      assertThrows(StoreException.NoSuchJob.class, () -> ParameterStore.open(redis, "emnist", "cluster-job"));
    }
  }

  /**
   * Sparse pushes on a cluster: each shard's BITFIELD transaction runs on its own master. Two pushers, 30 pushes
   * each of multiples of 2^-10, then each drains its residual: the sum is exact.
   */
  @Test
  void sparsePushesOnAClusterAddUpExactly() throws Exception {
    int size = 83_247;
    float unit = 0x1p-10f;
    try (EmbeddedCluster cluster = new EmbeddedCluster(dir);
        RedisConnection redis = RedisConnection.open(RedisSettings.cluster(cluster.seeds()),
            RedisConnection.Backoff.DEFAULT)) {
      float[] initial = new float[size];
      ParameterStore store = ParameterStore.create(redis, "emnist", "sparse-job", initial, 3,
          new UpdateRule(UpdateRule.Kind.SGD, 1f), PushFormat.sparse(0.01), Duration.ofHours(1));
      assertEquals(3, cluster.keysPerNode().stream().filter(n -> n > 0).count(), cluster.keysPerNode().toString());
      ConcurrentPushers.Gradient gradient = (t, k, i) -> (((t + k + i) % 7) - 3) * unit;
      ConcurrentPushers.run(2, thread -> {
        ParameterStore.Pusher mine = ParameterStore.open(redis, "emnist", "sparse-job").pusher("worker-" + thread);
        float[] g = new float[size];
        for (int k = 0; k < 30; k++) {
          for (int i = 0; i < size; i++) {
            g[i] = gradient.at(thread, k, i);
          }
          mine.push(g);
        }
        java.util.Arrays.fill(g, 0f);
        for (int drain = 0; mine.push(g).entries() > 0; drain++) {
          assertTrue(drain < 10_000, "the residual did not drain");
        }
        return null;
      });
      float[] expected = ConcurrentPushers.afterEveryPush(new float[size], 2, 30, gradient);
      float[] actual = new float[size];
      store.fetch(actual);
      assertArrayEquals(expected, actual, 0f);
    }
  }
}
