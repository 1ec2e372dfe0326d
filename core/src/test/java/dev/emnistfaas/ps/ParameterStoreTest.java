package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.optim.Adagrad;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The store against a real (embedded) redis-server. */
class ParameterStoreTest {
  private static final int SIZE = 83_247;
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static EmbeddedRedis server;
  /** The connection every case uses: to the embedded server, or to another ({@link ParameterStoreOverTlsTest}). */
  static RedisConnection redis;

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

  private static String newJob() {
    return "test-" + JOBS.incrementAndGet();
  }

  private static float[] initial() {
    float[] v = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      v[i] = i % 1000;
    }
    return v;
  }

  private static ParameterStore sgdStore(int shards) {
    return ParameterStore.create(redis, "emnist", newJob(), initial(), shards,
        new UpdateRule(UpdateRule.Kind.SGD, 1f), Duration.ofHours(1));
  }

  /**
   * A push that fails between its WATCH and its EXEC (here: a corrupt stored value) must not hand its connection
   * back to the pool still watching: the next transaction on that connection would be discarded as soon as the
   * watched key changed.
   */
  @Test
  void aPushThatFailsLeavesNoWatchBehind() {
    ParameterStore store = sgdStore(1);
    String key = "emnist:{" + store.job() + ":0}:params";
    redis.call(j -> j.set(key, "corrupt"));
    assertThrows(IllegalStateException.class, () -> store.pusher("worker-0").push(new float[SIZE]));
    // The pool hands out its most recently returned connection first: the failed push's, were it returned.
    redis.call(j -> j.set(key, "changed after the failed push"));
    JobStore jobs = new JobStore(redis, "emnist", Duration.ofHours(1));
    for (int i = 0; i < 4; i++) {
      assertEquals(i + 1, jobs.countOnce(store.job(), JobStore.Counter.DUPLICATES, "event-" + i));
    }
  }

  @Test
  void fetchReturnsWhatWasStored() {
    ParameterStore store = sgdStore(5);
    float[] out = new float[SIZE];
    store.fetch(out);
    assertArrayEquals(initial(), out, 0f);
    assertEquals(0, store.updates());
    ParameterStore reopened = ParameterStore.open(redis, "emnist", store.job());
    assertEquals(5, reopened.shards());
    assertEquals(SIZE, reopened.size());
  }

  /** M=4 pushers, K=200 pushes each of small integers, SGD lr 1: the result is exact. */
  @Test
  void concurrentPushesLoseNoUpdate() throws Exception {
    ParameterStore store = sgdStore(4);
    int pushers = 4;
    int pushesEach = 200;
    List<Integer> conflicts = ConcurrentPushers.run(pushers, thread -> {
      ParameterStore.Pusher mine = ParameterStore.open(redis, "emnist", store.job()).pusher("worker-" + thread);
      float[] g = new float[SIZE];
      float[] fetched = new float[SIZE];
      int lost = 0;
      for (int k = 0; k < pushesEach; k++) {
        for (int i = 0; i < SIZE; i += 1) {
          g[i] = gradient(thread, k, i);
        }
        // Half the pushes also return the parameters: both paths must commit the same exact update.
        lost += (k % 2 == 0 ? mine.push(g) : mine.pushAndFetch(g, fetched)).conflicts();
      }
      return lost;
    });
    int totalConflicts = conflicts.stream().mapToInt(Integer::intValue).sum();
    float[] expected = ConcurrentPushers.afterEveryPush(initial(), pushers, pushesEach, ParameterStoreTest::gradient);
    float[] actual = new float[SIZE];
    store.fetch(actual);
    assertArrayEquals(expected, actual, 0f);
    assertEquals((long) pushers * pushesEach * 4, store.updates());
    assertTrue(totalConflicts > 0, "four pushers on four shards never collided: the test did not race");
  }

  private static float gradient(int thread, int push, int i) {
    return ((thread * 7 + push * 3 + i) % 5) - 2;
  }

  @Test
  void pushAndFetchReturnsExactlyWhatTheStoreThenHolds() {
    ParameterStore store = sgdStore(3);
    float[] g = new float[SIZE];
    float[] expected = initial();
    for (int i = 0; i < SIZE; i++) {
      g[i] = (i % 7) - 3;
      expected[i] -= g[i];
    }
    float[] returned = new float[SIZE];
    store.pusher("worker-0").pushAndFetch(g, returned);
    assertArrayEquals(expected, returned, 0f);
    float[] fetched = new float[SIZE];
    store.fetch(fetched);
    assertArrayEquals(returned, fetched, 0f);
    assertEquals(3, store.updates());
    ParameterStore.Pusher pusher = store.pusher("worker-0");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pusher.pushAndFetch(g, g));
    assertEquals("pushAndFetch needs separate gradient and output arrays", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> pusher.pushAndFetch(g, new float[3]));
    assertEquals(3, store.updates());
  }

  @Test
  void adagradOnTheStoreMatchesTheLocalRule() {
    ParameterStore store = ParameterStore.create(redis, "emnist", newJob(), initial(), 3,
        new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.5f), Duration.ofHours(1));
    float[] local = initial();
    float[] acc = new float[SIZE];
    float[] g = new float[SIZE];
    ParameterStore.Pusher pusher = store.pusher("worker-0");
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < SIZE; i++) {
        g[i] = (float) Math.sin(i + k) * 0.1f;
      }
      Adagrad.step(0.5f, local, 0, g, 0, SIZE, acc);
      if (k == 1) {
        float[] returned = new float[SIZE];
        pusher.pushAndFetch(g, returned);
        assertArrayEquals(local, returned, 0f);
      } else {
        pusher.push(g);
      }
    }
    float[] actual = new float[SIZE];
    store.fetch(actual);
    assertArrayEquals(local, actual, 0f);
  }

  @Test
  void wrongLengthPushIsRejectedWithNothingWritten() {
    ParameterStore store = sgdStore(2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store.pusher("worker-0").push(new float[10]));
    assertEquals("push of 10 floats; job '" + store.job() + "' holds 83247", e.getMessage());
    float[] out = new float[SIZE];
    store.fetch(out);
    assertArrayEquals(initial(), out, 0f);
    assertEquals(0, store.updates());
  }

  @Test
  void unknownAndDeletedJobsAreReportedAsSuch() {
    StoreException.NoSuchJob e = assertThrows(StoreException.NoSuchJob.class,
        () -> ParameterStore.open(redis, "emnist", "never-created"));
    assertEquals("no such job 'never-created' in the parameter store", e.getMessage());
    ParameterStore store = sgdStore(2);
    store.delete();
    assertThrows(StoreException.NoSuchJob.class, () -> store.fetch(new float[SIZE]));
    assertThrows(StoreException.NoSuchJob.class, () -> store.pusher("worker-0").push(new float[SIZE]));
    assertThrows(StoreException.NoSuchJob.class, () -> ParameterStore.open(redis, "emnist", store.job()));
    assertEquals(0, (long) redis.call(j -> j.keys("emnist:{" + store.job() + "*").size()));
  }

  /**
   * A push whose EXEC committed but whose reply was lost (the connection cut right after Redis answered) is run
   * again by the connection's retry; it finds its own record and is not applied a second time.
   */
  @Test
  void aPushWhoseReplyWasLostIsAppliedOnce() throws Exception {
    aPushWhoseReplyWasLostIsAppliedOnce(server.port());
  }

  void aPushWhoseReplyWasLostIsAppliedOnce(int redisPort) throws Exception {
    try (LostReplyProxy proxy = new LostReplyProxy(redisPort);
        RedisConnection viaProxy = RedisConnection.open(
            RedisSettings.local(java.net.URI.create("redis://127.0.0.1:" + proxy.port())),
            RedisConnection.Backoff.DEFAULT)) {
      ParameterStore created = sgdStore(2);
      ParameterStore.Pusher pusher = ParameterStore.open(viaProxy, "emnist", created.job()).pusher("worker-0");
      float[] g = new float[SIZE];
      java.util.Arrays.fill(g, 1f);
      float[] returned = new float[SIZE];
      proxy.arm();
      pusher.pushAndFetch(g, returned);
      assertEquals(1, proxy.cut(), "the reply was not lost: the test did not test anything");
      float[] expected = initial();
      for (int i = 0; i < SIZE; i++) {
        expected[i] -= 1f;
      }
      assertArrayEquals(expected, returned, 0f);
      float[] stored = new float[SIZE];
      created.fetch(stored);
      assertArrayEquals(expected, stored, 0f);
      assertEquals(2, created.updates()); // once per shard
    }
  }

  /** The idempotency state is one field per pusher name and shard: the keys do not grow with the pushes. */
  @Test
  void aJobsKeysDoNotGrowWithItsPushes() {
    ParameterStore store = ParameterStore.create(redis, "emnist", newJob(), initial(), 3,
        new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.01f), Duration.ofHours(1));
    List<ParameterStore.Pusher> pushers = List.of(store.pusher("worker-0"), store.pusher("worker-1"),
        store.pusher("worker-2"), store.pusher("worker-3"));
    float[] g = new float[SIZE];
    for (int k = 0; k < 400; k++) {
      pushers.get(k % 4).push(g);
    }
    List<String> keys = redis.call(j -> new ArrayList<>(j.keys("emnist:{" + store.job() + "*")));
    assertEquals(1 + 3 * 4, keys.size(), keys.toString()); // meta; params, accum, updates, pushers per shard
    String pushersKey = "emnist:{" + store.job() + ":0}:pushers";
    assertEquals(java.util.Set.of("job", "worker-0", "worker-1", "worker-2", "worker-3"),
        redis.call(j -> j.hkeys(pushersKey)));
    assertEquals(1200, store.updates());
  }

  @Test
  void everyKeyExpiresAndPushesKeepTheExpiry() {
    ParameterStore store = sgdStore(3);
    store.pusher("worker-0").push(new float[SIZE]);
    List<String> keys = redis.call(j -> new ArrayList<>(j.keys("emnist:{" + store.job() + "*")));
    assertEquals(1 + 3 * 3, keys.size(), keys.toString()); // meta; params, updates, pushers per shard
    for (String k : keys) {
      long ttl = redis.call(j -> j.ttl(k));
      assertTrue(ttl > 0, k + " has no expiry");
    }
  }

  @Test
  void creatingAnExistingJobFails() {
    ParameterStore store = sgdStore(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ParameterStore.create(redis,
        "emnist", store.job(), initial(), 1, new UpdateRule(UpdateRule.Kind.SGD, 1f), Duration.ofHours(1)));
    assertEquals("job '" + store.job() + "' already exists in the parameter store", e.getMessage());
  }

  @Test
  void unreachableRedisIsReportedWithItsAddressAfterBoundedRetries() {
    int port = EmbeddedRedis.freePort();
    long t0 = System.nanoTime();
    StoreException.Unavailable e = assertThrows(StoreException.Unavailable.class, () -> RedisConnection.open(
        RedisSettings.local(java.net.URI.create("redis://127.0.0.1:" + port)),
        new RedisConnection.Backoff(3, Duration.ofMillis(20), Duration.ofMillis(40))));
    assertTrue(e.getMessage().startsWith("cannot reach Redis at 127.0.0.1:" + port + " after 3 attempts"),
        e.getMessage());
    assertTrue((System.nanoTime() - t0) / 1e9 < 5, "retries are bounded");
  }

  @Test
  void wrongPasswordIsAnAuthenticationError() {
    try (EmbeddedRedis guarded = EmbeddedRedis.start()) {
      try (RedisConnection open = RedisConnection.open(RedisSettings.local(guarded.url()),
          RedisConnection.Backoff.DEFAULT)) {
        open.call(j -> j.configSet("requirepass", "right-one"));
      }
      StoreException.Authentication e = assertThrows(StoreException.Authentication.class,
          () -> RedisConnection.open(RedisSettings.local(guarded.url()).withPassword("wrong-one"),
              RedisConnection.Backoff.DEFAULT));
      assertTrue(e.getMessage().startsWith("Redis at 127.0.0.1:" + guarded.port() + " refused the credentials"),
          e.getMessage());
      assertFalse(e.getMessage().contains("wrong-one"), "the password must not appear in messages");
      try (RedisConnection ok = RedisConnection.open(RedisSettings.local(guarded.url()).withPassword("right-one"),
          RedisConnection.Backoff.DEFAULT)) {
        assertEquals("PONG", ok.call(j -> j.ping()));
      }
    }
  }
}
