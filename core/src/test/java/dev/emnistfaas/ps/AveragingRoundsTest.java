package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.emnistfaas.ps.AveragingRounds.Contribution;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Parameter averaging's rounds against a real (embedded) redis-server: exact sums, each contribution once. */
class AveragingRoundsTest {
  private static final int SIZE = 10_001;
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

  private static ParameterStore store(int shards, UpdateRule rule) {
    float[] initial = new float[SIZE];
    Arrays.fill(initial, 100f);
    ParameterStore store = ParameterStore.create(redis, "emnist", "avg-" + UUID.randomUUID().toString().substring(0, 8),
        initial, shards, rule, Duration.ofMinutes(5));
    store.rounds().open();
    return store;
  }

  private static float[] filled(float value) {
    float[] v = new float[SIZE];
    Arrays.fill(v, value);
    return v;
  }

  /** A contribution that leaves the round open (it never closes one). */
  private static Contribution[] contribute(AveragingRounds rounds, int worker, long[] round, float[] gradient) {
    return rounds.contribute(worker, round, gradient, Integer.MAX_VALUE, RoundUpdate.MEAN, new float[SIZE]);
  }

  @Test
  void theLastContributionOfARoundClosesItAndReturnsTheNewParameters() {
    ParameterStore store = store(2, new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.5f));
    AveragingRounds rounds = store.rounds();
    float[] params = new float[SIZE];
    long[] round = rounds.fetch(params);
    float[] out = new float[SIZE];
    assertArrayEquals(new Contribution[] {Contribution.ADDED, Contribution.ADDED},
        rounds.contribute(0, round, filled(2f), 2, RoundUpdate.MEAN, out));
    assertArrayEquals(new Contribution[] {Contribution.CLOSED, Contribution.CLOSED},
        rounds.contribute(1, round, filled(6f), 2, RoundUpdate.MEAN, out));
    long[] next = rounds.fetch(params);
    assertArrayEquals(new long[] {2, 2}, next);
    assertArrayEquals(params, out, "the closing contribution's parameters are not the stored ones");
    // Adagrad on the mean, 4: 100 - 0.5 * 4 / sqrt(16).
    assertEquals(99.5f, params[0], 1e-5);
    assertArrayEquals(new long[] {0, 0}, rounds.state().counts());
    assertEquals(2, rounds.accepted());

    // A worker alone closes each round with its own contribution, the sum of the round never read.
    assertArrayEquals(new Contribution[] {Contribution.CLOSED, Contribution.CLOSED},
        rounds.contribute(0, next, filled(4f), 1, RoundUpdate.MEAN, out));
    assertArrayEquals(new long[] {3, 3}, rounds.fetch(params));
    assertArrayEquals(params, out);
    // Adagrad's second step: the accumulators hold 16 + 16.
    assertEquals(99.5f - 0.5f * 4f / (float) Math.sqrt(32), params[SIZE - 1], 1e-5);
    assertEquals(4, store.updates(), "one update per shard and round");
  }

  @Test
  void aClosedRoundAppliesTheMeanOnceAndOpensTheNext() {
    ParameterStore store = store(3, new UpdateRule(UpdateRule.Kind.SGD, 0.5f));
    AveragingRounds rounds = store.rounds();
    float[] params = new float[SIZE];
    long[] round = rounds.fetch(params);
    assertArrayEquals(new long[] {1, 1, 1}, round);
    assertArrayEquals(filled(100f), params);

    assertArrayEquals(new Contribution[] {Contribution.ADDED, Contribution.ADDED, Contribution.ADDED},
        contribute(rounds, 0, round, filled(2f)));
    assertArrayEquals(new Contribution[] {Contribution.ADDED, Contribution.ADDED, Contribution.ADDED},
        contribute(rounds, 1, round, filled(6f)));
    // Worker 1's call delivered again: its contribution is there already.
    assertArrayEquals(new Contribution[] {Contribution.ALREADY, Contribution.ALREADY, Contribution.ALREADY},
        contribute(rounds, 1, round, filled(6f)));
    assertArrayEquals(new long[] {2, 2, 2}, rounds.state().counts());

    rounds.close(round, RoundUpdate.MEAN);
    rounds.close(round, RoundUpdate.MEAN); // a second closer of the same round changes nothing
    long[] next = rounds.fetch(params);
    assertArrayEquals(new long[] {2, 2, 2}, next);
    assertArrayEquals(filled(100f - 0.5f * 4f), params); // the mean of 2 and 6, at the rule's rate
    assertEquals(3, store.updates(), "one update per shard");
    assertEquals(2, rounds.accepted());

    // A worker that trained on round 1 and contributes after it closed: refused, the parameters untouched.
    assertArrayEquals(new Contribution[] {Contribution.LATE, Contribution.LATE, Contribution.LATE},
        contribute(rounds, 2, round, filled(1000f)));
    assertArrayEquals(new long[] {0, 0, 0}, rounds.state().counts());
    rounds.close(next, RoundUpdate.MEAN); // no contributions: nothing to close
    assertArrayEquals(next, rounds.fetch(params));
    assertArrayEquals(filled(98f), params);
  }

  @Test
  void theRoundUpdateDividesTheSumByTheCountToItsPower() {
    for (RoundUpdate update : RoundUpdate.values()) {
      ParameterStore store = store(1, new UpdateRule(UpdateRule.Kind.SGD, 1f));
      AveragingRounds rounds = store.rounds();
      float[] params = new float[SIZE];
      long[] round = rounds.fetch(params);
      for (int w = 0; w < 4; w++) {
        contribute(rounds, w, round, filled(1f));
      }
      rounds.close(round, update);
      rounds.fetch(params);
      float step = update == RoundUpdate.MEAN ? 1f : update == RoundUpdate.SQRT ? 2f : 4f;
      assertEquals(100f - step, params[SIZE - 1], 1e-5, update.toString());
    }
  }

  @Test
  void concurrentContributionsAddUpExactly() throws Exception {
    ParameterStore store = store(2, new UpdateRule(UpdateRule.Kind.SGD, 1f));
    AveragingRounds rounds = store.rounds();
    long[] round = rounds.fetch(new float[SIZE]);
    int workers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    List<Future<Contribution[]>> done = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      final int worker = w;
      done.add(pool.submit(() -> contribute(store.rounds(), worker, round, filled(worker + 1))));
    }
    for (Future<Contribution[]> f : done) {
      assertArrayEquals(new Contribution[] {Contribution.ADDED, Contribution.ADDED}, f.get());
    }
    pool.shutdown();
    rounds.close(round, RoundUpdate.SUM);
    float[] params = new float[SIZE];
    rounds.fetch(params);
    assertArrayEquals(filled(100f - 36f), params); // 1 + 2 + ... + 8, none lost
  }

  /** A contribution whose EXEC reached Redis but whose reply was lost is retried, and counted once. */
  @Test
  void aContributionRetriedAfterALostReplyCountsOnce() throws Exception {
    ParameterStore created = store(1, new UpdateRule(UpdateRule.Kind.SGD, 1f));
    try (LostReplyProxy proxy = new LostReplyProxy(server.url().getPort());
        RedisConnection viaProxy = RedisConnection.open(
            RedisSettings.local(java.net.URI.create("redis://127.0.0.1:" + proxy.port())),
            RedisConnection.Backoff.DEFAULT)) {
      AveragingRounds rounds = ParameterStore.open(viaProxy, "emnist", created.job()).rounds();
      long[] round = rounds.fetch(new float[SIZE]);
      proxy.arm();
      assertArrayEquals(new Contribution[] {Contribution.ALREADY}, contribute(rounds, 0, round, filled(3f)));
      assertEquals(1, proxy.cut(), "the reply was not lost: the test did not test anything");
      assertEquals(1, rounds.accepted());
      rounds.close(round, RoundUpdate.SUM);
      float[] params = new float[SIZE];
      rounds.fetch(params);
      assertArrayEquals(filled(97f), params);
    }
  }

  @Test
  void aDeletedJobIsNoSuchJob() {
    ParameterStore store = store(1, new UpdateRule(UpdateRule.Kind.SGD, 1f));
    AveragingRounds rounds = store.rounds();
    long[] round = rounds.fetch(new float[SIZE]);
    store.delete();
    assertThrows(StoreException.NoSuchJob.class, () -> contribute(rounds, 0, round, filled(1f)));
    assertThrows(StoreException.NoSuchJob.class, () -> rounds.fetch(new float[SIZE]));
    assertThrows(StoreException.NoSuchJob.class, () -> rounds.close(round, RoundUpdate.MEAN));
  }
}
