package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emnistfaas.RealData;
import dev.emnistfaas.ps.EmbeddedCluster;
import dev.emnistfaas.ps.ParameterStore;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.RedisSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jobs on a three-master Redis Cluster (real redis-servers on loopback), trained end to end. */
class ClusterTrainingTest {
  @TempDir Path dir;

  @Test
  void shardsZeroPutsOneShardOnEachMasterAndTheJobReachesItsTarget() throws Exception {
    Trained trained = trainOnACluster(Map.of());
    JsonNode status = trained.status();
    long pushes = 0;
    for (JsonNode w : status.path("workers")) {
      pushes += w.path("pushes").asLong();
    }
    assertTrue(pushes > 0);
    assertEquals(3 * pushes, trained.updates(), "every push updated each of the three shards once");
  }

  /** Parameter averaging: each shard's rounds on its own master, every saved contribution accepted once. */
  @Test
  void averagingRoundsRunOnEveryMaster() throws Exception {
    JsonNode status = trainOnACluster(Map.of("algorithm", "average")).status();
    long contributions = 0;
    for (JsonNode w : status.path("workers")) {
      contributions += w.path("pushes").asLong();
    }
    assertTrue(contributions > 0);
    assertEquals(contributions, status.path("contributions").asLong(), status.toPrettyString());
  }

  /** A finished job's status and the updates its three shards applied in all. */
  private record Trained(JsonNode status, long updates) {}

  /** A 2-worker job of the Downpour defaults with {@code overrides}, trained to its target on three masters. */
  private Trained trainOnACluster(Map<String, Object> overrides) throws Exception {
    try (EmbeddedCluster cluster = new EmbeddedCluster(dir);
        RedisConnection redis = RedisConnection.open(RedisSettings.cluster(cluster.seeds()),
            RedisConnection.Backoff.DEFAULT)) {
      assertEquals(3, redis.masters());
      DownpourJobs jobs = new DownpourJobs(redis, "emnist", Duration.ofHours(1));
      Map<String, Object> settings = new java.util.HashMap<>(Map.of("workers", 2, "sliceSeconds", 1.0));
      settings.putAll(overrides);
      TrainingConfig config = TrainingConfig.downpourDefaults(RealData.dir().toString())
          .withJson(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(settings));
      assertEquals(0, config.shards());
      String job = jobs.create(config);
      ParameterStore parameters = jobs.parameters(job);
      assertEquals(3, parameters.shards());
      List<List<String>> shardKeys = cluster.keysPerNode("emnist:{" + job + ":*}:params");
      for (List<String> keys : shardKeys) {
        assertEquals(1, keys.size(), "each master should hold one shard: " + shardKeys);
      }

      PrintStream log = new PrintStream(new ByteArrayOutputStream(), true);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        final int worker = w;
        workers.add(pool.submit(() -> {
          while (!new DownpourWorker(jobs.parameters(job), jobs.jobStore(), job, worker, "cluster-pod-" + worker, log)
              .runSlice().finished()) {
            // the next slice, as the next call would run it
          }
          return null;
        }));
      }
      for (Future<?> f : workers) {
        f.get();
      }
      pool.shutdown();

      JsonNode status = jobs.status(job);
      assertTrue(status.path("reached").asBoolean(), status.toPrettyString());
      assertEquals(3, status.path("config").path("shards").asInt(), status.toPrettyString());
      return new Trained(status, parameters.updates());
    }
  }
}
