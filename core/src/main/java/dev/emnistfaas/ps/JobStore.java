package dev.emnistfaas.ps;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.SetParams;

/**
 * A training job's bookkeeping beside its parameters, each thing in one key of its own: the config (JSON), the
 * creation time, one record per worker (its saved position, JSON, written only by the slice holding the
 * worker's lease), one live-progress record per worker, the list of global evaluations, the best model, the
 * stop flag, the evaluation turn, the workers' leases and the job's counters. Keys are {@code P:{J}:…}, one
 * hash tag, so they share a cluster slot; all carry the job's time-to-live.
 *
 * <p>Every write is safe to send twice: {@link RedisConnection} re-sends a command whose connection dropped,
 * and a Redis that applied it before the drop must not count it again. Counters are therefore sets of event
 * ids (a re-sent SADD adds nothing), a lease taken by a re-sent SET is recognised by its token, and an
 * evaluation is not appended twice in a row.
 */
public final class JobStore {
  /** What a job counts, each as a set of event ids so that a re-sent command counts once. */
  public enum Counter {
    /** Slices queued again after the platform dropped their call (429 from a busy pod, 5xx). */
    REENQUEUED,
    /** Workers re-invoked after showing no sign of life for longer than a queued slice can wait. */
    RECOVERED,
    /** Workers re-invoked because their call was lost: a call queued after it has begun, and it has not. */
    LOST_CALLS,
    /** Calls that found their slice already run, or running in another call, and did nothing. */
    DUPLICATES;

    String key() {
      return "count:" + name().toLowerCase(Locale.ROOT);
    }
  }

  private static final List<String> JOB_KEYS = List.of("config", "created", "evals", "rates", "stop", "overlap",
      "best:accuracy", "best:params", "evallock");

  private final RedisConnection redis;
  private final String prefix;
  private final Duration ttl;

  public JobStore(RedisConnection redis, String prefix, Duration ttl) {
    this.redis = redis;
    this.prefix = prefix;
    this.ttl = ttl;
  }

  /** Runs {@code op} where the job's keys live: they share the hash tag {J}, hence one cluster slot. */
  private <T> T onJob(String job, Function<Jedis, T> op) {
    return redis.callOn(key(job, "config"), op);
  }

  private String key(String job, String what) {
    return prefix + ":{" + job + "}:" + what;
  }

  private static String workerKey(int worker) {
    return "worker:" + worker;
  }

  private static String liveKey(int worker) {
    return "live:" + worker;
  }

  private static String leaseKey(int worker) {
    return "lease:" + worker;
  }

  private static String callKey(int worker) {
    return "call:" + worker;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private String ttlSeconds() {
    return Long.toString(ttl.toSeconds());
  }

  /** Records a new job's config and creation time; false if the job id is taken. */
  public boolean create(String job, String configJson, long createdMillis) {
    String r = onJob(job, j -> j.set(key(job, "config"), configJson, SetParams.setParams().nx().ex(ttl.toSeconds())));
    if (!"OK".equals(r)) {
      return false;
    }
    onJob(job, j -> j.set(key(job, "created"), "" + createdMillis, SetParams.setParams().ex(ttl.toSeconds())));
    redis.callOn(indexKey(), j -> j.zadd(indexKey(), createdMillis, job));
    return true;
  }

  /** The index of jobs by creation time: the one key outside any job's hash tag. */
  private String indexKey() {
    return prefix + ":jobs";
  }

  /**
   * The newest jobs whose keys still exist, newest first, at most {@code max}; index entries of jobs that expired
   * or were deleted are dropped on the way.
   */
  public List<String> recentJobs(int max) {
    String index = indexKey();
    redis.callOn(index, j -> j.zremrangeByScore(index, Double.NEGATIVE_INFINITY,
        System.currentTimeMillis() - ttl.toMillis()));
    List<String> out = new ArrayList<>();
    for (String job : redis.callOn(index, j -> j.zrevrange(index, 0, 4L * max - 1))) {
      if (out.size() == max) {
        break;
      }
      if (config(job).isPresent()) {
        out.add(job);
      } else {
        redis.callOn(index, j -> j.zrem(index, job));
      }
    }
    return out;
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

  /** Worker {@code worker}'s saved record (JSON); empty before its first slice saved one. */
  public Optional<String> worker(String job, int worker) {
    return Optional.ofNullable(onJob(job, j -> j.get(key(job, workerKey(worker)))));
  }

  /**
   * One worker's records, as read together: saved position, live report, whether a call holds its lease, and its
   * newest call (queued, or begun).
   */
  public record WorkerRecords(Optional<String> saved, Optional<String> live, boolean leased, Optional<String> call) {}

  /** Every worker's records, read in one round trip. */
  public List<WorkerRecords> workers(String job, int workers) {
    String[] keys = new String[4 * workers];
    for (int w = 0; w < workers; w++) {
      keys[4 * w] = key(job, workerKey(w));
      keys[4 * w + 1] = key(job, liveKey(w));
      keys[4 * w + 2] = key(job, leaseKey(w));
      keys[4 * w + 3] = key(job, callKey(w));
    }
    List<String> values = onJob(job, j -> j.mget(keys));
    List<WorkerRecords> out = new ArrayList<>(workers);
    for (int w = 0; w < workers; w++) {
      out.add(new WorkerRecords(Optional.ofNullable(values.get(4 * w)), Optional.ofNullable(values.get(4 * w + 1)),
          values.get(4 * w + 2) != null, Optional.ofNullable(values.get(4 * w + 3))));
    }
    return out;
  }

  private static final String SAVE_CALL = """
      if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
      local current = redis.call('GET', KEYS[1])
      if current and cjson.decode(current).signedMillis > tonumber(ARGV[2]) then return 0 end
      redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
      return 1
      """;

  /**
   * Replaces worker {@code worker}'s newest-call record (a JSON object with {@code signedMillis}: a call queued,
   * or begun) unless the stored one is of a call signed later: an old call delivered again does not hide a newer
   * one, and nothing is written for a job that does not exist. True when it was saved.
   */
  public boolean saveCall(String job, int worker, String record, long signedMillis) {
    Object r = onJob(job, j -> j.eval(SAVE_CALL, List.of(key(job, callKey(worker)), key(job, "config")),
        List.of(record, Long.toString(signedMillis), ttlSeconds())));
    return Long.valueOf(1).equals(r);
  }

  private static final String SAVE_WORKER = """
      if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
      if (redis.call('GET', KEYS[2]) or '') ~= ARGV[2] then return -1 end
      redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
      return 1
      """;

  /** How a fenced save ended. */
  public enum SaveResult {
    SAVED,
    /** The caller's lease had expired or been taken: it no longer speaks for the worker. */
    LEASE_LOST,
    /** The record is no longer the one the caller started from (another call saved in between). */
    RECORD_CHANGED
  }

  /**
   * Replaces worker {@code worker}'s record with {@code record}, only while {@code token} holds the worker's
   * lease and the record is still {@code expected} (empty: none yet); atomic. A slice that lost its lease, or
   * ran from a record another call has since replaced, can never move the worker back.
   */
  public SaveResult saveWorker(String job, int worker, String token, Optional<String> expected, String record) {
    Object r = onJob(job, j -> j.eval(SAVE_WORKER, List.of(key(job, leaseKey(worker)), key(job, workerKey(worker))),
        List.of(token, expected.orElse(""), record, ttlSeconds())));
    long code = (Long) r;
    if (code == 1) {
      return SaveResult.SAVED;
    }
    // Sent again after a dropped connection, the first send may have saved already.
    if (code == -1 && worker(job, worker).filter(record::equals).isPresent()) {
      return SaveResult.SAVED;
    }
    return code == 0 ? SaveResult.LEASE_LOST : SaveResult.RECORD_CHANGED;
  }

  /** A running slice's progress report, in its own key beside the saved record. */
  public void saveLiveProgress(String job, int worker, String record) {
    onJob(job, j -> j.set(key(job, liveKey(worker)), record, SetParams.setParams().ex(ttl.toSeconds())));
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
        bytes(ttlSeconds()))));
    return Long.valueOf(1).equals(r);
  }

  /** The best evaluation's accuracy so far, if any evaluation ran: one small read, to see whether it changed. */
  public Optional<Double> bestAccuracy(String job) {
    return Optional.ofNullable(onJob(job, j -> j.get(key(job, "best:accuracy")))).map(Double::valueOf);
  }

  /** The best model so far with its accuracy, read together (both keys are written together), if any. */
  public Optional<BestModel> bestModel(String job) {
    List<byte[]> both = onJob(job, j -> j.mget(bytes(key(job, "best:accuracy")), bytes(key(job, "best:params"))));
    if (both.get(0) == null || both.get(1) == null) {
      return Optional.empty();
    }
    return Optional.of(new BestModel(Double.parseDouble(new String(both.get(0), StandardCharsets.US_ASCII)),
        both.get(1)));
  }

  /** A job's best evaluated parameters (little-endian float32) and the accuracy they scored. */
  public record BestModel(double accuracy, byte[] parameters) {}

  /** True for exactly one caller per {@code interval}: who evaluates the global parameters now. */
  public boolean tryEvaluationTurn(String job, Duration interval) {
    String r = onJob(job, j -> j.set(key(job, "evallock"), "1", SetParams.setParams().nx().px(interval.toMillis())));
    return "OK".equals(r);
  }

  private static final String APPEND_ONCE = """
      if redis.call('LINDEX', KEYS[1], -1) == ARGV[1] then return 0 end
      redis.call('RPUSH', KEYS[1], ARGV[1])
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return 1
      """;

  /** Appends an evaluation record (JSON); the same record sent twice in a row is kept once. */
  public void addEvaluation(String job, String json) {
    onJob(job, j -> j.eval(APPEND_ONCE, List.of(key(job, "evals")), List.of(json, ttlSeconds())));
  }

  public List<String> evaluations(String job) {
    return onJob(job, j -> j.lrange(key(job, "evals"), 0, -1));
  }

  /** The most slice rates a job keeps: the newest, for the status's chart (a few tens of KB). */
  public static final int KEPT_RATES = 600;

  /** Appends one slice's throughput record, keeping the newest {@value #KEPT_RATES}. */
  public void addRate(String job, String json) {
    onJob(job, j -> {
      var t = j.multi();
      t.rpush(key(job, "rates"), json);
      t.ltrim(key(job, "rates"), -KEPT_RATES, -1);
      t.expire(key(job, "rates"), ttl.toSeconds());
      checkExec(t.exec(), job);
      return null;
    });
  }

  public List<String> rates(String job) {
    return onJob(job, j -> j.lrange(key(job, "rates"), 0, -1));
  }

  /** Raises the stop flag every worker checks; the first reason given stays. */
  public void requestStop(String job, String reasonJson) {
    onJob(job, j -> j.set(key(job, "stop"), reasonJson, SetParams.setParams().nx().ex(ttl.toSeconds())));
  }

  public Optional<String> stopReason(String job) {
    return Optional.ofNullable(onJob(job, j -> j.get(key(job, "stop"))));
  }

  /** Records that two workers' slices ran at the same moment. */
  public void markOverlap(String job) {
    onJob(job, j -> j.set(key(job, "overlap"), "1", SetParams.setParams().ex(ttl.toSeconds())));
  }

  /** Whether two workers' slices ever ran at the same time. */
  public boolean slicesOverlapped(String job) {
    return onJob(job, j -> j.exists(key(job, "overlap")));
  }

  private static final String ACQUIRE = """
      if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
      if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
      return 0
      """;
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
   * holds it. Taking it again under the same token succeeds (a re-sent command).
   */
  public boolean acquireLease(String job, int worker, String token, Duration duration) {
    Object r = onJob(job, j -> j.eval(ACQUIRE, List.of(key(job, leaseKey(worker))),
        List.of(token, "" + duration.toMillis())));
    return Long.valueOf(1).equals(r);
  }

  /** Extends the lease if {@code token} still holds it; false when it was lost (expired, or taken). */
  public boolean renewLease(String job, int worker, String token, Duration duration) {
    Object r = onJob(job, j -> j.eval(RENEW, List.of(key(job, leaseKey(worker))),
        List.of(token, "" + duration.toMillis())));
    return Long.valueOf(1).equals(r);
  }

  public void releaseLease(String job, int worker, String token) {
    onJob(job, j -> j.eval(RELEASE, List.of(key(job, leaseKey(worker))), List.of(token)));
  }

  /** Milliseconds until worker {@code worker}'s lease expires unless renewed; negative when nobody holds it. */
  public long leaseMillisLeft(String job, int worker) {
    return onJob(job, j -> j.pttl(key(job, leaseKey(worker))));
  }

  /**
   * Counts event {@code eventId} under {@code counter} once, however often it is reported; returns the count.
   */
  public long countOnce(String job, Counter counter, String eventId) {
    String k = key(job, counter.key());
    return onJob(job, j -> {
      var t = j.multi();
      t.sadd(k, eventId);
      t.expire(k, ttl.toSeconds());
      var size = t.scard(k);
      checkExec(t.exec(), job);
      return size.get();
    });
  }

  public long count(String job, Counter counter) {
    return onJob(job, j -> j.scard(key(job, counter.key())));
  }

  /**
   * Records attempt {@code attemptId} at something (a slice's deliveries) in a set that lives for {@code keep};
   * returns how many distinct attempts it holds.
   */
  public long recordAttempt(String job, String what, String attemptId, Duration keep) {
    String k = key(job, "attempts:" + what);
    return onJob(job, j -> {
      var t = j.multi();
      t.sadd(k, attemptId);
      t.pexpire(k, Math.min(keep.toMillis(), ttl.toMillis()));
      var size = t.scard(k);
      checkExec(t.exec(), job);
      return size.get();
    });
  }

  private static void checkExec(List<Object> result, String job) {
    if (result == null || result.isEmpty()) {
      throw new IllegalStateException("Redis discarded a transaction on job " + job);
    }
  }

  /** True for the first caller only, for {@code hold}: who re-invokes a stalled worker's slice. */
  public boolean claimOnce(String job, String what, Duration hold) {
    return "OK".equals(onJob(job, j -> j.set(key(job, "claim:" + what), "1",
        SetParams.setParams().nx().px(hold.toMillis()))));
  }

  /** Shortens the life of the job's bookkeeping keys to {@code soon} (after a cancel). */
  public void expireIn(String job, int workers, Duration soon) {
    onJob(job, j -> {
      for (String k : JOB_KEYS) {
        j.pexpire(key(job, k), soon.toMillis());
      }
      for (Counter c : Counter.values()) {
        j.pexpire(key(job, c.key()), soon.toMillis());
      }
      for (int w = 0; w < workers; w++) {
        j.pexpire(key(job, workerKey(w)), soon.toMillis());
        j.pexpire(key(job, liveKey(w)), soon.toMillis());
        j.pexpire(key(job, callKey(w)), soon.toMillis());
      }
      return null;
    });
  }
}
