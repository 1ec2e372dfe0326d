package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

      ExecutorService pool = Executors.newFixedThreadPool(pushers);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < pushers; t++) {
        final int thread = t;
        done.add(pool.submit(() -> {
          ParameterStore.Pusher mine = ParameterStore.open(redis, "emnist", "cluster-job").pusher("worker-" + thread);
          float[] g = new float[size];
          go.await();
          for (int k = 0; k < pushesEach; k++) {
            for (int i = 0; i < size; i++) {
              g[i] = ((thread * 7 + k * 3 + i) % 5) - 2;
            }
            mine.push(g);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();

      float[] expected = initial.clone();
      for (int t = 0; t < pushers; t++) {
        for (int k = 0; k < pushesEach; k++) {
          for (int i = 0; i < size; i++) {
            expected[i] -= ((t * 7 + k * 3 + i) % 5) - 2;
          }
        }
      }
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
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        final int thread = t;
        done.add(pool.submit(() -> {
          ParameterStore.Pusher mine = ParameterStore.open(redis, "emnist", "sparse-job").pusher("worker-" + thread);
          float[] g = new float[size];
          for (int k = 0; k < 30; k++) {
            for (int i = 0; i < size; i++) {
              g[i] = (((thread + k + i) % 7) - 3) * unit;
            }
            mine.push(g);
          }
          java.util.Arrays.fill(g, 0f);
          for (int drain = 0; mine.push(g).entries() > 0; drain++) {
            assertTrue(drain < 10_000, "the residual did not drain");
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
      float[] expected = new float[size];
      for (int t = 0; t < 2; t++) {
        for (int k = 0; k < 30; k++) {
          for (int i = 0; i < size; i++) {
            expected[i] -= (((t + k + i) % 7) - 3) * unit;
          }
        }
      }
      float[] actual = new float[size];
      store.fetch(actual);
      assertArrayEquals(expected, actual, 0f);
    }
  }
}
