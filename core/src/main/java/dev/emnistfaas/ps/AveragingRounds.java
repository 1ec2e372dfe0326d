package dev.emnistfaas.ps;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.SetParams;

/**
 * Parameter averaging's rounds on a job's parameters in Redis. Each shard {@code s} keeps, beside its parameters,
 * the hash {@code P:{J:s}:round} — the open round's {@code number} (from 1), when it {@code opened} (ms), how many
 * workers contributed to it ({@code count}), the contributions accepted in all ({@code accepted}) and, per worker,
 * the last round it contributed to ({@code w:<worker>}) — and {@code P:{J:s}:roundsum}, the sum of the round's
 * contributions (little-endian float32).
 *
 * <p>A worker fetches the parameters with the rounds they belong to ({@link #fetch}), trains, and contributes the
 * gradient it accrued to those rounds ({@link #contribute}); the contribution that completes a round, or whoever
 * sees that a round should close ({@link #close}), closes it: its contributions, summed and divided as the
 * {@link RoundUpdate} says (by their count: the mean), go through the job's {@link UpdateRule} (with the mean, SGD at
 * the workers' own rate makes the new parameters exactly the mean of the workers' local ones), and the next round
 * opens. Each
 * shard's contribution and close is one optimistic transaction (WATCH, read, MULTI/EXEC, again on a conflict), so
 * nothing is lost between concurrent workers; both are idempotent by round number, so a call retried after a
 * dropped connection, or a slice delivered twice, counts once. A contribution to a round that closed meanwhile is
 * refused ({@link Contribution#LATE}): the worker starts again from the new parameters. Shards apply contributions
 * and closes each on their own, as pushes do (a worker contributes to every shard in turn).
 */
public final class AveragingRounds {
  private static final int MAX_CONFLICT_RETRIES = 1000;
  private static final byte[] NUMBER = bytes("number");
  private static final byte[] OPENED = bytes("opened");
  private static final byte[] COUNT = bytes("count");
  private static final byte[] ACCEPTED = bytes("accepted");

  private final ParameterStore store;

  AveragingRounds(ParameterStore store) {
    this.store = store;
  }

  /** What became of a contribution on one shard. */
  public enum Contribution {
    /** Added to the round. */
    ADDED,
    /** Added, and the round closed with it: the output holds the shard's new parameters. */
    CLOSED,
    /** This worker's contribution to the round was already there (a retry or a second delivery): not added again. */
    ALREADY,
    /** The round had closed: not added. */
    LATE
  }

  /**
   * The open round of each shard, as one read saw it.
   *
   * @param numbers each shard's open round
   * @param openedMillis when each opened
   * @param counts how many workers have contributed to each
   */
  public record State(long[] numbers, long[] openedMillis, long[] counts) {
    /** Every shard whose open round is still {@code rounds[s]} has at least {@code contributors} contributions. */
    public boolean everyOpenRoundHas(long[] rounds, int contributors) {
      for (int s = 0; s < rounds.length; s++) {
        if (numbers[s] == rounds[s] && counts[s] < contributors) {
          return false;
        }
      }
      return true;
    }

    /** Some shard whose open round is still {@code rounds[s]} opened more than {@code millis} before {@code now}. */
    public boolean openedLongerThan(long[] rounds, long millis, long now) {
      for (int s = 0; s < rounds.length; s++) {
        if (numbers[s] == rounds[s] && now - openedMillis[s] > millis) {
          return true;
        }
      }
      return false;
    }

    /** Some shard's open round is still {@code rounds[s]}. */
    public boolean stillOpen(long[] rounds) {
      for (int s = 0; s < rounds.length; s++) {
        if (numbers[s] == rounds[s]) {
          return true;
        }
      }
      return false;
    }
  }

  /** Opens round 1 on every shard, with the job's time to live; a job with rounds already open is left as it is. */
  public void open() {
    long now = System.currentTimeMillis();
    for (int s = 0; s < store.shards(); s++) {
      final int shard = s;
      int n = store.shardStart(s + 1) - store.shardStart(s);
      store.redis().callOn(store.roundKey(s), j -> {
        if (j.hsetnx(store.roundKey(shard), NUMBER, bytes("1")) == 1) {
          Transaction t = j.multi();
          t.hset(store.roundKey(shard), OPENED, bytes(Long.toString(now)));
          t.hset(store.roundKey(shard), COUNT, bytes("0"));
          t.hset(store.roundKey(shard), ACCEPTED, bytes("0"));
          t.expire(store.roundKey(shard), store.ttl().toSeconds());
          t.set(store.roundSumKey(shard), new byte[n * Float.BYTES], SetParams.setParams().ex(store.ttl().toSeconds()));
          t.exec();
        }
        return null;
      });
    }
  }

  /** Reads the whole vector into {@code out} and returns the round it belongs to, per shard (each read atomically). */
  public long[] fetch(float[] out) {
    long[] rounds = new long[store.shards()];
    for (int s = 0; s < store.shards(); s++) {
      final int shard = s;
      List<Object> r = store.redis().callOn(store.paramsKey(s), j -> {
        Transaction t = j.multi();
        t.get(store.paramsKey(shard));
        t.hget(store.roundKey(shard), NUMBER);
        return t.exec();
      });
      if (r.get(1) == null) {
        throw new StoreException.NoSuchJob(store.job());
      }
      store.decodeShard(s, (byte[]) r.get(0), out);
      rounds[s] = Long.parseLong(new String((byte[]) r.get(1), StandardCharsets.UTF_8));
    }
    return rounds;
  }

  /** The open round of every shard. */
  public State state() {
    int shards = store.shards();
    long[] numbers = new long[shards];
    long[] opened = new long[shards];
    long[] counts = new long[shards];
    for (int s = 0; s < shards; s++) {
      final int shard = s;
      List<byte[]> r = store.redis().callOn(store.roundKey(s), j -> j.hmget(store.roundKey(shard), NUMBER, OPENED,
          COUNT));
      if (r.get(0) == null) {
        throw new StoreException.NoSuchJob(store.job());
      }
      numbers[s] = number(r.get(0));
      opened[s] = number(r.get(1));
      counts[s] = number(r.get(2));
    }
    return new State(numbers, opened, counts);
  }

  /** Contributions accepted in all, over every round (on shard 0: each contribution counts once per shard). */
  public long accepted() {
    byte[] v = store.redis().callOn(store.roundKey(0), j -> j.hget(store.roundKey(0), ACCEPTED));
    if (v == null) {
      throw new StoreException.NoSuchJob(store.job());
    }
    return number(v);
  }

  /**
   * Adds {@code gradient} (what the worker accrued since it fetched round {@code rounds[s]}) to each shard's round,
   * once per worker and round; returns what became of it on each shard. Where the round then has {@code closeAt}
   * contributions, this contribution also closes it, in the same transaction (see {@link #close}), and writes the
   * shard's new parameters into {@code out}: the last worker of a round, and a worker alone, pay one transaction for
   * what would otherwise take three (contribute, close, fetch).
   */
  public synchronized Contribution[] contribute(int worker, long[] rounds, float[] gradient, int closeAt, RoundUpdate update,
      float[] out) {
    if (gradient.length != store.size() || out.length != store.size() || out == gradient) {
      throw new IllegalArgumentException("a contribution needs a gradient and an output of " + store.size()
          + " floats each (job '" + store.job() + "'), got " + gradient.length + " and " + out.length);
    }
    byte[] field = bytes("w:" + worker);
    Contribution[] result = new Contribution[store.shards()];
    Buffers b = buffers();
    for (int s = 0; s < store.shards(); s++) {
      final int shard = s;
      result[s] = store.redis().callOn(store.roundKey(s), j -> watching(j, () -> contributeToShard(j, shard, field,
          rounds[shard], gradient, closeAt, update, out, b)));
    }
    return result;
  }

  /**
   * Working arrays of contributions and closes, a shard long (shards differ by one float at most), and each shard's
   * encoded values, made once and reused: a round allocates only the replies Jedis hands back (Jedis copies a value
   * into its socket buffer before the call returns).
   */
  private final class Buffers {
    final float[] sum = new float[store.size() / store.shards() + 1];
    final float[] values = new float[store.size() / store.shards() + 1];
    final float[] accumulators = new float[store.size() / store.shards() + 1];
    private final byte[][] encoded = new byte[3 * store.shards()][];
    private final byte[][] zeros = new byte[store.shards()][];

    /** {@code values[from..from+n)} encoded into shard {@code s}'s array for {@code what} (0 params, 1 accum, 2 sum). */
    byte[] encode(int s, int what, float[] values, int from, int n) {
      int k = 3 * s + what;
      if (encoded[k] == null) {
        encoded[k] = new byte[n * Float.BYTES];
      }
      LittleEndianFloats.encode(values, from, n, encoded[k]);
      return encoded[k];
    }

    /** An empty sum for shard {@code s}. */
    byte[] zeros(int s, int n) {
      if (zeros[s] == null) {
        zeros[s] = new byte[n * Float.BYTES];
      }
      return zeros[s];
    }
  }

  private Buffers buffers;

  private Buffers buffers() {
    if (buffers == null) {
      buffers = new Buffers();
    }
    return buffers;
  }

  private Contribution contributeToShard(Jedis j, int s, byte[] field, long round, float[] gradient, int closeAt,
      RoundUpdate update, float[] out, Buffers b) {
    int from = store.shardStart(s);
    int n = store.shardStart(s + 1) - from;
    byte[] key = store.roundKey(s);
    boolean adagrad = store.rule().needsAccumulators();
    for (int conflicts = 0; conflicts < MAX_CONFLICT_RETRIES; conflicts++) {
      j.watch(key);
      List<byte[]> r = j.hmget(key, NUMBER, COUNT, field);
      if (r.get(0) == null) {
        j.unwatch();
        throw new StoreException.NoSuchJob(store.job());
      }
      if (number(r.get(0)) != round) {
        j.unwatch();
        return Contribution.LATE;
      }
      if (r.get(2) != null && number(r.get(2)) == round) {
        j.unwatch();
        return Contribution.ALREADY;
      }
      long count = number(r.get(1));
      Transaction t;
      boolean closes = count + 1 >= closeAt;
      if (!closes) {
        LittleEndianFloats.decode(j.get(store.roundSumKey(s)), b.sum, 0, n);
        for (int i = 0; i < n; i++) {
          b.sum[i] += gradient[from + i];
        }
        t = j.multi();
        t.set(store.roundSumKey(s), b.encode(s, 2, b.sum, 0, n), SetParams.setParams().keepttl());
        t.hincrBy(key, COUNT, 1);
      } else {
        // The round closes with this contribution: the sum so far (none when this is the first) plus this one.
        List<byte[]> current = j.mget(store.paramsKey(s), store.accumKey(s), store.roundSumKey(s));
        LittleEndianFloats.decode(current.get(0), out, from, n);
        if (count > 0) {
          LittleEndianFloats.decode(current.get(2), b.sum, 0, n);
        } else {
          Arrays.fill(b.sum, 0, n, 0f);
        }
        float factor = update.factor(count + 1);
        for (int i = 0; i < n; i++) {
          b.sum[i] = (b.sum[i] + gradient[from + i]) * factor;
        }
        if (adagrad) {
          LittleEndianFloats.decode(current.get(1), b.accumulators, 0, n);
        }
        store.rule().apply(out, from, b.sum, 0, n, b.accumulators);
        t = j.multi();
        t.set(store.paramsKey(s), b.encode(s, 0, out, from, n), SetParams.setParams().keepttl());
        if (adagrad) {
          t.set(store.accumKey(s), b.encode(s, 1, b.accumulators, 0, n), SetParams.setParams().keepttl());
        }
        if (count > 0) {
          t.set(store.roundSumKey(s), b.zeros(s, n), SetParams.setParams().keepttl());
        }
        opened(t, key, round + 1);
        t.incr(store.updatesKey(s));
      }
      t.hincrBy(key, ACCEPTED, 1);
      t.hset(key, field, bytes(Long.toString(round)));
      List<Object> done = t.exec();
      if (done != null && !done.isEmpty()) {
        return closes ? Contribution.CLOSED : Contribution.ADDED;
      }
    }
    throw new IllegalStateException("shard " + s + " of job " + store.job() + ": " + MAX_CONFLICT_RETRIES
        + " contributions in a row lost the race; the store is overloaded");
  }

  /** Opens round {@code number} in transaction {@code t}: no contributions yet, opened now. */
  private static void opened(Transaction t, byte[] key, long number) {
    t.hset(key, NUMBER, bytes(Long.toString(number)));
    t.hset(key, OPENED, bytes(Long.toString(System.currentTimeMillis())));
    t.hset(key, COUNT, bytes("0"));
  }

  /**
   * Closes round {@code rounds[s]} on each shard where it is still open and has contributions: their sum, divided as
   * {@code update} says (by their count: the mean), goes through the job's rule, and the next round opens. A round already closed is left alone, so
   * any number of workers may close the same round.
   */
  public synchronized void close(long[] rounds, RoundUpdate update) {
    Buffers b = buffers();
    for (int s = 0; s < store.shards(); s++) {
      final int shard = s;
      store.redis().callOn(store.roundKey(s), j -> watching(j, () -> closeShard(j, shard, rounds[shard], update, b)));
    }
  }

  private Void closeShard(Jedis j, int s, long round, RoundUpdate update, Buffers b) {
    float[] values = b.values;
    float[] sum = b.sum;
    float[] accumulators = b.accumulators;
    int n = store.shardStart(s + 1) - store.shardStart(s);
    byte[] key = store.roundKey(s);
    boolean adagrad = store.rule().needsAccumulators();
    for (int conflicts = 0; conflicts < MAX_CONFLICT_RETRIES; conflicts++) {
      j.watch(key);
      List<byte[]> r = j.hmget(key, NUMBER, COUNT);
      if (r.get(0) == null) {
        j.unwatch();
        throw new StoreException.NoSuchJob(store.job());
      }
      long count = number(r.get(1));
      if (number(r.get(0)) != round || count == 0) {
        j.unwatch();
        return null;
      }
      List<byte[]> current = j.mget(store.paramsKey(s), store.roundSumKey(s), store.accumKey(s));
      LittleEndianFloats.decode(current.get(0), values, 0, n);
      LittleEndianFloats.decode(current.get(1), sum, 0, n);
      float factor = update.factor(count);
      for (int i = 0; i < n; i++) {
        sum[i] *= factor;
      }
      if (adagrad) {
        LittleEndianFloats.decode(current.get(2), accumulators, 0, n);
      }
      store.rule().apply(values, 0, sum, 0, n, accumulators);
      Transaction t = j.multi();
      t.set(store.paramsKey(s), b.encode(s, 0, values, 0, n), SetParams.setParams().keepttl());
      if (adagrad) {
        t.set(store.accumKey(s), b.encode(s, 1, accumulators, 0, n), SetParams.setParams().keepttl());
      }
      t.set(store.roundSumKey(s), b.zeros(s, n), SetParams.setParams().keepttl());
      opened(t, key, round + 1);
      t.incr(store.updatesKey(s));
      List<Object> done = t.exec();
      if (done != null && !done.isEmpty()) {
        return null;
      }
    }
    throw new IllegalStateException("shard " + s + " of job " + store.job() + ": " + MAX_CONFLICT_RETRIES
        + " closes in a row lost the race; the store is overloaded");
  }

  /**
   * Runs an optimistic transaction on {@code j}; a failure between WATCH and EXEC marks the connection broken, so
   * that the pool does not hand out a connection still watching (its next transaction would be discarded).
   */
  private static <T> T watching(Jedis j, java.util.function.Supplier<T> transaction) {
    try {
      return transaction.get();
    } catch (RuntimeException e) {
      j.getConnection().setBroken();
      throw e;
    }
  }

  private static long number(byte[] v) {
    return v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.UTF_8));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
