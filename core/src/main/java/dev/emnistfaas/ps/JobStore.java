package dev.emnistfaas.ps;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.params.SetParams;

/**
 * A training job's bookkeeping beside its parameters: the config (JSON), one hash per worker with its saved
 * position and figures, the list of global evaluations, the stop flag and the evaluation lock. Keys are
 * {@code P:{J}:…}, all with the job's time-to-live.
 */
public final class JobStore {
  private final RedisConnection redis;
  private final String prefix;
  private final Duration ttl;

  /** The job-level keys (the per-worker, lease, counter and claim keys carry their worker or name). */
  private static final List<String> JOB_KEYS =
      List.of("config", "created", "evals", "stop", "running", "overlap", "best:accuracy", "best:params");

  public JobStore(RedisConnection redis, String prefix, Duration ttl) {
    this.redis = redis;
    this.prefix = prefix;
    this.ttl = ttl;
  }

  /** Runs {@code op} where the job's keys live: they share the hash tag {J}, hence one cluster slot. */
  private <T> T onJob(String job, java.util.function.Function<redis.clients.jedis.Jedis, T> op) {
    return redis.callOn(key(job, "config"), op);
  }

  private String key(String job, String what) {
    return prefix + ":{" + job + "}:" + what;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Records a new job's config and creation time; false if the job id is taken. */
  public boolean create(String job, String configJson, long createdMillis) {
    String r = onJob(job, j -> j.set(key(job, "config"), configJson, SetParams.setParams().nx().ex(ttl.toSeconds())));
    if (!"OK".equals(r)) {
      return false;
    }
    onJob(job, j -> j.set(key(job, "created"), "" + createdMillis, SetParams.setParams().ex(ttl.toSeconds())));
    return true;
  }

  /** When the job was created (epoch millis): the zero of every time the job reports. */
  public long createdMillis(String job) {
    String v = onJob(job, j -> j.get(key(job, "created")));
    if (v == null) {
      throw new StoreException.NoSuchJob(job);
    }
    return Long.parseLong(v);
  }

  public Optional<String> config(String job) {
    return Optional.ofNullable(onJob(job, j -> j.get(key(job, "config"))));
  }

  /** Worker {@code worker}'s saved record; empty before its first slice saved one. */
  public Map<String, String> worker(String job, int worker) {
    return onJob(job, j -> j.hgetAll(key(job, "worker:" + worker)));
  }

  public void saveWorker(String job, int worker, Map<String, String> fields) {
    String k = key(job, "worker:" + worker);
    onJob(job, j -> {
      var t = j.multi();
      t.hset(k, fields);
      t.expire(k, ttl.toSeconds());
      t.exec();
      return null;
    });
  }

  private static final String OFFER_BEST = """
      local best = tonumber(redis.call('GET', KEYS[1]) or '-1')
      if tonumber(ARGV[1]) <= best then return 0 end
      redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
      redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
      return 1
      """;

  /**
   * Keeps {@code parameters} (little-endian float32) as the job's best model if {@code accuracy} beats the best
   * evaluation so far; atomic, so concurrent evaluators cannot interleave accuracy and parameters.
   */
  public boolean offerBest(String job, double accuracy, byte[] parameters) {
    Object r = onJob(job, j -> j.eval(bytes(OFFER_BEST), List.of(bytes(key(job, "best:accuracy")),
        bytes(key(job, "best:params"))), List.of(bytes(Double.toString(accuracy)), parameters,
        bytes(Long.toString(ttl.toSeconds())))));
    return Long.valueOf(1).equals(r);
  }

  /** The best model's parameters so far (little-endian float32), if any evaluation ran. */
  public Optional<byte[]> bestParameters(String job) {
    return Optional.ofNullable(onJob(job, j -> j.get(bytes(key(job, "best:params")))));
  }

  /**
   * Display figures of a running slice (epochs done, samples/s) in fields of their own, beside the saved
   * position that resuming relies on.
   */
  public void saveLiveProgress(String job, int worker, double epochs, double samplesPerSecond, long millis) {
    String k = key(job, "worker:" + worker);
    onJob(job, j -> j.hset(k, Map.of("liveEpochs", "" + epochs, "liveSamplesPerSecond", "" + samplesPerSecond,
        "liveMillis", "" + millis)));
  }

  /** True for exactly one caller per {@code interval}: who evaluates the global parameters now. */
  public boolean tryEvaluationTurn(String job, Duration interval) {
    String r = onJob(job, j -> j.set(key(job, "evallock"), "1", SetParams.setParams().nx().px(interval.toMillis())));
    return "OK".equals(r);
  }

  public void addEvaluation(String job, String json) {
    String k = key(job, "evals");
    onJob(job, j -> {
      var t = j.multi();
      t.rpush(k, json);
      t.expire(k, ttl.toSeconds());
      t.exec();
      return null;
    });
  }

  public List<String> evaluations(String job) {
    return onJob(job, j -> j.lrange(key(job, "evals"), 0, -1));
  }

  /** Raises the stop flag every worker checks; the first reason given stays. */
  public void requestStop(String job, String reasonJson) {
    onJob(job, j -> j.set(key(job, "stop"), reasonJson, SetParams.setParams().nx().ex(ttl.toSeconds())));
  }

  public Optional<String> stopReason(String job) {
    return Optional.ofNullable(onJob(job, j -> j.get(key(job, "stop"))));
  }

  /**
   * Registers a slice of {@code worker} as running until it ends or {@code expiresAtMillis} passes (a pod that
   * dies mid-slice must not count as running forever). When a slice of another worker is running at the
   * same moment, the job records that its workers' slices overlap.
   */
  public void beginSlice(String job, int worker, long nowMillis, long expiresAtMillis) {
    String running = key(job, "running");
    long others = onJob(job, j -> {
      j.zremrangeByScore(running, Double.NEGATIVE_INFINITY, nowMillis);
      j.zadd(running, expiresAtMillis, "" + worker);
      j.expire(running, ttl.toSeconds());
      return j.zcard(running) - 1;
    });
    if (others > 0) {
      onJob(job, j -> j.set(key(job, "overlap"), "1", SetParams.setParams().ex(ttl.toSeconds())));
    }
  }

  public void endSlice(String job, int worker) {
    onJob(job, j -> j.zrem(key(job, "running"), "" + worker));
  }

  /** Whether two workers' slices ever ran at the same time. */
  public boolean slicesOverlapped(String job) {
    return onJob(job, j -> j.exists(key(job, "overlap")));
  }

  private static final String RENEW = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
      return 0
      """;
  private static final String RELEASE = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;

  /**
   * Takes worker {@code worker}'s lease for {@code duration} under {@code token}; false while another call
   * holds it (a duplicate delivery of the same worker).
   */
  public boolean acquireLease(String job, int worker, String token, Duration duration) {
    String k = key(job, "lease:" + worker);
    return "OK".equals(onJob(job, j -> j.set(k, token, SetParams.setParams().nx().px(duration.toMillis()))));
  }

  /** Extends the lease if {@code token} still holds it; false when it was lost (expired and taken). */
  public boolean renewLease(String job, int worker, String token, Duration duration) {
    String k = key(job, "lease:" + worker);
    Object r = onJob(job, j -> j.eval(RENEW, List.of(k), List.of(token, "" + duration.toMillis())));
    return Long.valueOf(1).equals(r);
  }

  public void releaseLease(String job, int worker, String token) {
    String k = key(job, "lease:" + worker);
    onJob(job, j -> j.eval(RELEASE, List.of(k), List.of(token)));
  }

  public boolean leaseHeld(String job, int worker) {
    return onJob(job, j -> j.exists(key(job, "lease:" + worker)));
  }

  /** Adds {@code n} to a job counter (re-enqueued slices, recoveries) and returns the new value. */
  public long count(String job, String counter, long n) {
    String k = key(job, "count:" + counter);
    return onJob(job, j -> {
      long v = j.incrBy(k, n);
      j.expire(k, ttl.toSeconds());
      return v;
    });
  }

  public long counter(String job, String counter) {
    String v = onJob(job, j -> j.get(key(job, "count:" + counter)));
    return v == null ? 0 : Long.parseLong(v);
  }

  /** True for the first caller only, for {@code hold}: who re-invokes a stalled worker's slice. */
  public boolean claimOnce(String job, String what, Duration hold) {
    return "OK".equals(onJob(job, j -> j.set(key(job, "claim:" + what), "1",
        SetParams.setParams().nx().px(hold.toMillis()))));
  }

  /** Shortens the life of the job's bookkeeping keys to {@code ttl} (after a cancel). */
  public void expireIn(String job, int workers, Duration soon) {
    onJob(job, j -> {
      for (String k : JOB_KEYS) {
        j.pexpire(key(job, k), soon.toMillis());
      }
      for (int w = 0; w < workers; w++) {
        j.pexpire(key(job, "worker:" + w), soon.toMillis());
      }
      return null;
    });
  }
}
