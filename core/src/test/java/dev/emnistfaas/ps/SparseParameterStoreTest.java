package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.optim.Adagrad;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sparse pushes ({@link PushFormat.Encoding#SPARSE}) against a real (embedded) redis-server. */
class SparseParameterStoreTest {
  private static final int SIZE = 83_247;
  /** Multiples of this are exact in the store's fixed point and in float sums of a few thousand terms. */
  private static final float STEP = 0x1p-10f;
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static EmbeddedRedis server;
  private static RedisConnection redis;

  @BeforeAll
  static void start() {
    server = EmbeddedRedis.start();
    redis = RedisConnection.open(RedisSettings.local(server.url()), RedisConnection.Backoff.DEFAULT);
  }

  @AfterAll
  static void stop() {
    redis.close();
    server.close();
  }

  private static float[] initial() {
    float[] v = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      v[i] = ((i % 200) - 100) / 16f;
    }
    return v;
  }

  private static ParameterStore create(RedisConnection on, UpdateRule rule, int shards, double density) {
    return ParameterStore.create(on, "emnist", "sparse-" + JOBS.incrementAndGet(), initial(), shards, rule,
        PushFormat.sparse(density), Duration.ofHours(1));
  }

  private static final UpdateRule SGD_1 = new UpdateRule(UpdateRule.Kind.SGD, 1f);

  private static float gradient(int thread, int push, int i) {
    return (((thread * 7 + push * 3 + i) % 5) - 2) * STEP;
  }

  /** Pushes zeros until a push sends nothing: the pusher's residual is then empty. Returns the pushes made. */
  private static int drain(ParameterStore.Pusher pusher) {
    float[] zeros = new float[SIZE];
    for (int k = 1; k <= 10_000; k++) {
      if (pusher.push(zeros).entries() == 0) {
        return k;
      }
    }
    throw new AssertionError("the residual did not drain in 10,000 pushes");
  }

  @Test
  void aPushSendsAboutItsDensityAndTheLargestEntries() {
    ParameterStore store = create(redis, SGD_1, 2, 0.01);
    float[] g = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      g[i] = (i % 1000 + 1) * STEP; // distinct magnitudes: the top 1 % are the entries with i % 1000 >= 990
    }
    int sent = store.pusher("worker-0").push(g).entries();
    assertTrue(sent >= SIZE / 200 && sent <= SIZE / 50, "sent " + sent + " of " + SIZE + " entries at density 1 %");
    float[] stored = new float[SIZE];
    store.fetch(stored);
    float[] before = initial();
    int changed = 0;
    for (int i = 0; i < SIZE; i++) {
      if (stored[i] != before[i]) {
        changed++;
        assertEquals(before[i] - g[i], stored[i], 0f, "entry " + i);
        assertTrue(i % 1000 >= 970, "entry " + i + " is not among the largest");
      }
    }
    assertEquals(sent, changed);
  }

  /**
   * M=4 pushers, 50 pushes each at density 1 %, then each drains its residual: the store holds exactly the sum
   * of every gradient pushed, none lost to the residual or to a race, none applied twice.
   */
  @Test
  void concurrentSparsePushesAddUpExactlyOnceTheResidualsDrain() throws Exception {
    ParameterStore store = create(redis, SGD_1, 3, 0.01);
    int pushers = 4;
    int pushesEach = 50;
    List<Integer> pushesMade = ConcurrentPushers.run(pushers, thread -> {
      ParameterStore.Pusher mine = ParameterStore.open(redis, "emnist", store.job()).pusher("worker-" + thread);
      float[] g = new float[SIZE];
      float[] fetched = new float[SIZE];
      for (int k = 0; k < pushesEach; k++) {
        for (int i = 0; i < SIZE; i++) {
          g[i] = gradient(thread, k, i);
        }
        if (k % 2 == 0) {
          mine.push(g);
        } else {
          mine.pushAndFetch(g, fetched);
        }
      }
      return pushesEach + drain(mine);
    });
    long total = pushesMade.stream().mapToLong(Integer::longValue).sum();
    float[] expected = ConcurrentPushers.afterEveryPush(initial(), pushers, pushesEach,
        SparseParameterStoreTest::gradient);
    float[] actual = new float[SIZE];
    store.fetch(actual);
    assertArrayEquals(expected, actual, 0f);
    assertEquals(total * 3, store.updates());
  }

  /** At density 1 every entry goes out: sparse Adagrad is then the dense rule, up to the fixed point's rounding. */
  @Test
  void sparseAdagradAtFullDensityFollowsTheRule() {
    ParameterStore store = create(redis, new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.05f), 3, 1.0);
    float[] local = initial();
    float[] accumulators = new float[SIZE];
    float[] g = new float[SIZE];
    float[] returned = new float[SIZE];
    ParameterStore.Pusher pusher = store.pusher("worker-0");
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < SIZE; i++) {
        g[i] = (float) Math.sin(i + k) * 0.1f;
      }
      Adagrad.step(0.05f, local, 0, g, 0, SIZE, accumulators);
      long nonZero = IntStream.range(0, SIZE).filter(i -> g[i] != 0).count(); // sin(0): a zero is never sent
      assertEquals(nonZero, pusher.pushAndFetch(g, returned).entries());
      assertArrayEquals(local, returned, 1e-5f);
    }
    float[] fetched = new float[SIZE];
    store.fetch(fetched);
    assertArrayEquals(returned, fetched, 0f);
    assertEquals(9, store.updates());
  }

  /**
   * A push whose reply was lost after Redis committed is run again on a new connection; it finds its own record
   * and is applied once. For Adagrad the lost reply is the accumulators' (the first of a shard's two
   * transactions): the retry reads the sums back and goes on to the parameters.
   */
  @Test
  void aSparsePushWhoseReplyWasLostIsAppliedOnce() throws Exception {
    for (UpdateRule rule : List.of(SGD_1, new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.05f))) {
      try (LostReplyProxy proxy = new LostReplyProxy(server.port());
          RedisConnection viaProxy = RedisConnection.open(
              RedisSettings.local(java.net.URI.create("redis://127.0.0.1:" + proxy.port())),
              RedisConnection.Backoff.DEFAULT)) {
        ParameterStore cut = create(viaProxy, rule, 2, 0.01);
        ParameterStore whole = create(redis, rule, 2, 0.01);
        float[] g = new float[SIZE];
        for (int i = 0; i < SIZE; i++) {
          g[i] = (i % 1000 + 1) * STEP;
        }
        float[] afterCut = new float[SIZE];
        float[] afterWhole = new float[SIZE];
        proxy.arm();
        cut.pusher("worker-0").pushAndFetch(g, afterCut);
        assertEquals(1, proxy.cut(), rule + ": the reply was not lost: the test did not test anything");
        whole.pusher("worker-0").pushAndFetch(g, afterWhole);
        assertArrayEquals(afterWhole, afterCut, 0f, rule.toString());
        float[] stored = new float[SIZE];
        cut.fetch(stored);
        assertArrayEquals(afterWhole, stored, 0f, rule.toString());
        assertEquals(2, cut.updates(), rule + ": once per shard");
      }
    }
  }

  @Test
  void aPushToADeletedJobFailsAndLeavesNoKeysBehind() {
    ParameterStore store = create(redis, new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.05f), 2, 0.01);
    ParameterStore.Pusher pusher = store.pusher("worker-0");
    float[] g = new float[SIZE];
    java.util.Arrays.fill(g, STEP);
    pusher.push(g);
    store.delete();
    assertThrows(StoreException.NoSuchJob.class, () -> pusher.push(g));
    assertThrows(StoreException.NoSuchJob.class, () -> store.fetch(new float[SIZE]));
    assertEquals(0, (long) redis.call(j -> j.keys("emnist:{" + store.job() + "*").size()));
  }

  @Test
  void aSparseJobKeepsItsFormatItsExpiryAndOneRecordPerPusher() {
    ParameterStore store = create(redis, new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.05f), 3, 0.02);
    ParameterStore reopened = ParameterStore.open(redis, "emnist", store.job());
    assertEquals(PushFormat.sparse(0.02), reopened.format());
    float[] g = new float[SIZE];
    for (int k = 0; k < 40; k++) {
      g[k * 7] = STEP * (k + 1);
      reopened.pusher("worker-" + k % 4).push(g);
    }
    List<String> keys = redis.call(j -> new ArrayList<>(j.keys("emnist:{" + store.job() + "*")));
    assertEquals(1 + 3 * 4, keys.size(), keys.toString()); // meta; params, accum, updates, pushers per shard
    for (String k : keys) {
      assertTrue(redis.call(j -> j.ttl(k)) > 0, k + " has no expiry");
    }
    assertEquals(120, store.updates());
  }

  @Test
  void aPushFormatOutsideItsRangeIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PushFormat.sparse(0));
    assertEquals("push density must be in (0, 1], got 0.0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PushFormat.Encoding.parse("gzip"));
    assertEquals("'gzip' is not one of dense, sparse", e.getMessage());
  }
}
