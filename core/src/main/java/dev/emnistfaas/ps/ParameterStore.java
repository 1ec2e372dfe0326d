package dev.emnistfaas.ps;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The parameter server of Downpour SGD for one training job, on Redis.
 *
 * <p>Layout ({@code P} = key prefix, {@code J} = job id, {@code s} = shard; on a Redis Cluster a shard's tag
 * may read {@code J:s.k}, see {@link #placedTags}): the flat float32 vector is cut
 * into S contiguous shards, each stored as little-endian bytes at {@code P:{J:s}:params}, with its Adagrad
 * accumulators at {@code P:{J:s}:accum} and its update counter at {@code P:{J:s}:updates}. The braces are a
 * Redis Cluster hash tag: one shard's keys share a slot (so one transaction covers them) while different
 * shards spread over the nodes. {@code P:{J}:meta} holds the vector size, shard count and update rule. Every
 * key carries the job's time-to-live (set at creation, kept by updates), so an abandoned job frees its
 * memory; {@link #delete} frees it at once.
 *
 * <p>A push updates each shard atomically with an optimistic transaction: WATCH the shard and read it (sent
 * together: one round trip), apply the rule in the client, then MULTI/SET/EXEC (another), and start over if
 * another pusher committed in between. No update is lost; Redis does no float arithmetic (a script unpacking
 * floats was measured at 8 ms a push, blocking the server; a compare-and-set script passing the values through
 * Lua cost 80 µs more server time per push than SET), and the retry rate is the measured cost of contention
 * (see {@link PushStats}).
 *
 * <p>Pushes come from named {@link Pusher}s (a Downpour worker each), and a push retried after a dropped
 * connection is never applied twice: each shard's commit also records, in the hash {@code P:{J:s}:pushers}, the
 * pusher's latest push (its incarnation and sequence number), and a retry that finds its own push recorded
 * stops there. That state is one field per pusher name: it grows with the workers, not with the pushes.
 *
 * <p>All of the above describes the {@link PushFormat#DENSE} format. A job created with a sparse {@link PushFormat}
 * keeps its parameters as 32-bit fixed point and its accumulators as 64-bit ({@link FixedPoint}), which Redis adds
 * to in place: see {@link SparsePusher} for its pushes, which send about {@code density} of the entries each.
 */
public final class ParameterStore {
  private static final int MAX_CONFLICT_RETRIES = 1000;

  private final RedisConnection redis;
  private final String prefix;
  private final String job;
  private final int size;
  private final int shards;
  /** Each shard's hash tag: its keys' slot, and on a Redis Cluster the master that holds it. */
  private final List<String> tags;
  private final UpdateRule rule;
  private final PushFormat format;
  private final Duration ttl;
  private final byte[][] paramsKeys;
  private final byte[][] accumKeys;
  private final byte[][] updatesKeys;
  private final byte[][] pushersKeys;
  /** Parameter averaging's keys per shard (see {@link AveragingRounds}); absent in a Downpour job. */
  private final byte[][] roundKeys;
  private final byte[][] roundSumKeys;
  /**
   * Working arrays of pushes, one set per concurrent push, reused so that a push allocates only the replies
   * Jedis hands back (measured: fresh 333 KB arrays cost about 35 µs a push in allocation and collection).
   * Jedis copies a value into its socket buffer before {@code set} returns, so the arrays are free again once
   * the push returns.
   */
  private final Queue<PushBuffers> idleBuffers = new ConcurrentLinkedQueue<>();

  private ParameterStore(RedisConnection redis, String prefix, String job, int size, List<String> tags,
      UpdateRule rule, PushFormat format, Duration ttl) {
    this.redis = redis;
    this.prefix = prefix;
    this.job = job;
    this.size = size;
    this.shards = tags.size();
    this.tags = List.copyOf(tags);
    this.rule = rule;
    this.format = format;
    this.ttl = ttl;
    this.paramsKeys = new byte[this.shards][];
    this.accumKeys = new byte[this.shards][];
    this.updatesKeys = new byte[this.shards][];
    this.pushersKeys = new byte[this.shards][];
    this.roundKeys = new byte[this.shards][];
    this.roundSumKeys = new byte[this.shards][];
    for (int s = 0; s < shards; s++) {
      paramsKeys[s] = bytes(shardKey(s, "params"));
      accumKeys[s] = bytes(shardKey(s, "accum"));
      updatesKeys[s] = bytes(shardKey(s, "updates"));
      pushersKeys[s] = bytes(shardKey(s, "pushers"));
      roundKeys[s] = bytes(shardKey(s, "round"));
      roundSumKeys[s] = bytes(shardKey(s, "roundsum"));
    }
  }

  /** Creates job {@code job} holding {@code initial}, pushed to densely; fails if the job exists. */
  public static ParameterStore create(RedisConnection redis, String prefix, String job, float[] initial, int shards,
      UpdateRule rule, Duration ttl) {
    return create(redis, prefix, job, initial, shards, rule, PushFormat.DENSE, ttl);
  }

  /** Creates job {@code job} holding {@code initial}, pushed to in {@code format}; fails if the job exists. */
  public static ParameterStore create(RedisConnection redis, String prefix, String job, float[] initial, int shards,
      UpdateRule rule, PushFormat format, Duration ttl) {
    checkJobId(job);
    if (shards < 1 || shards > initial.length) {
      throw new IllegalArgumentException("shards must be in 1.." + initial.length + ", got " + shards);
    }
    ParameterStore store = new ParameterStore(redis, prefix, job, initial.length, placedTags(redis, job, shards), rule,
        format, ttl);
    store.initialise(initial);
    return store;
  }

  /**
   * Hash tags for {@code shards} shards: {@code J:s}, and on a Redis Cluster, where that tag's slot would put the
   * shard on the same master as another, {@code J:s.k} with the smallest k whose slot belongs to master s mod M.
   * So shards spread over every master (a hash alone left two of three shards on one master), and a single
   * server keeps the plain names.
   */
  private static List<String> placedTags(RedisConnection redis, String job, int shards) {
    int[] owners = redis.slotOwners();
    int masters = Arrays.stream(owners).max().orElse(0) + 1;
    List<String> tags = new ArrayList<>(shards);
    for (int s = 0; s < shards; s++) {
      String tag = job + ":" + s;
      for (int k = 1; masters > 1 && owners[JedisClusterCRC16.getSlot(tag)] != s % masters; k++) {
        tag = job + ":" + s + "." + k;
      }
      tags.add(tag);
    }
    return tags;
  }

  /** Opens an existing job, reading its layout from the store. */
  public static ParameterStore open(RedisConnection redis, String prefix, String job) {
    checkJobId(job);
    Map<String, String> meta = redis.callOn(metaKey(prefix, job), j -> j.hgetAll(metaKey(prefix, job)));
    if (meta.isEmpty()) {
      throw new StoreException.NoSuchJob(job);
    }
    int shards = Integer.parseInt(meta.get("shards"));
    List<String> tags = meta.containsKey("tags") ? List.of(meta.get("tags").split(","))
        : IntStream.range(0, shards).mapToObj(s -> job + ":" + s).toList();
    PushFormat format = meta.containsKey("encoding") ? new PushFormat(PushFormat.Encoding.parse(meta.get("encoding")),
        Double.parseDouble(meta.get("density"))) : PushFormat.DENSE;
    return new ParameterStore(redis, prefix, job, Integer.parseInt(meta.get("size")), tags,
        new UpdateRule(UpdateRule.Kind.parse(meta.get("rule")), Float.parseFloat(meta.get("learningRate"))),
        format, Duration.ofSeconds(Long.parseLong(meta.get("ttlSeconds"))));
  }

  private static void checkJobId(String job) {
    if (job == null || !job.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException("job id must be 1-64 of [A-Za-z0-9_.-], got '" + job + "'");
    }
  }

  private static String metaKey(String prefix, String job) {
    return prefix + ":{" + job + "}:meta";
  }

  private String shardKey(int s, String what) {
    return prefix + ":{" + tags.get(s) + "}:" + what;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public String job() {
    return job;
  }

  public int size() {
    return size;
  }

  public int shards() {
    return shards;
  }

  public UpdateRule rule() {
    return rule;
  }

  public PushFormat format() {
    return format;
  }

  RedisConnection redis() {
    return redis;
  }

  byte[] paramsKey(int s) {
    return paramsKeys[s];
  }

  byte[] accumKey(int s) {
    return accumKeys[s];
  }

  byte[] updatesKey(int s) {
    return updatesKeys[s];
  }

  byte[] pushersKey(int s) {
    return pushersKeys[s];
  }

  byte[] roundKey(int s) {
    return roundKeys[s];
  }

  byte[] roundSumKey(int s) {
    return roundSumKeys[s];
  }

  Duration ttl() {
    return ttl;
  }

  /** Parameter averaging's rounds on this job's parameters: see {@link AveragingRounds}. */
  public AveragingRounds rounds() {
    return new AveragingRounds(this);
  }

  /** Deletes shard {@code s}'s keys on {@code connection} (which serves them): what a push to a gone job recreated. */
  void removeShard(Connection connection, int s) {
    connection.sendCommand(Protocol.Command.DEL, paramsKeys[s], accumKeys[s], updatesKeys[s], pushersKeys[s]);
    connection.getIntegerReply();
  }

  int shardStart(int s) {
    return (int) ((long) size * s / shards);
  }

  private void initialise(float[] initial) {
    String meta = metaKey(prefix, job);
    if (redis.callOn(meta, j -> j.exists(meta))) {
      throw new IllegalStateException("job '" + job + "' already exists in the parameter store");
    }
    SetParams expire = SetParams.setParams().ex(ttl.toSeconds());
    for (int s = 0; s < shards; s++) {
      int from = shardStart(s);
      int n = shardStart(s + 1) - from;
      final int shard = s;
      redis.callOn(paramsKeys[s], j -> {
        Transaction t = j.multi();
        t.set(paramsKeys[shard], format.isSparse() ? FixedPoint.encodeParameters(initial, from, n)
            : LittleEndianFloats.encode(initial, from, n), expire);
        if (rule.needsAccumulators()) {
          t.set(accumKeys[shard], new byte[n * (format.isSparse() ? Long.BYTES : Float.BYTES)], expire);
        }
        t.set(updatesKeys[shard], bytes("0"), expire);
        // Created here so that it carries the job's time to live; pushes add one field per pusher name.
        t.hset(pushersKeys[shard], bytes("job"), bytes(job));
        t.expire(pushersKeys[shard], ttl.toSeconds());
        return t.exec();
      });
    }
    // The meta key last: a job is visible only once all its shards exist.
    redis.callOn(meta, j -> {
      Transaction t = j.multi();
      t.hset(meta, Map.of("size", "" + size, "shards", "" + shards, "tags", String.join(",", tags),
          "rule", rule.kind().name(), "learningRate", "" + rule.learningRate(), "ttlSeconds", "" + ttl.toSeconds(),
          "encoding", format.encoding().name(), "density", "" + format.density()));
      t.expire(meta, ttl.toSeconds());
      return t.exec();
    });
  }

  /** Reads the whole vector into {@code out}: one MGET (one round trip) on a single server, a GET per shard on a cluster. */
  public void fetch(float[] out) {
    checkLength(out.length, "fetch into");
    List<byte[]> values = perShard(paramsKeys);
    for (int s = 0; s < shards; s++) {
      decodeShard(s, values.get(s), out);
    }
  }

  /** Decodes shard {@code s}'s stored parameters into its slice of {@code out}; null: the job is gone. */
  void decodeShard(int s, byte[] stored, float[] out) {
    if (stored == null) {
      throw new StoreException.NoSuchJob(job);
    }
    int from = shardStart(s);
    if (format.isSparse()) {
      FixedPoint.decodeParameters(stored, out, from, shardStart(s + 1) - from);
    } else {
      LittleEndianFloats.decode(stored, out, from, shardStart(s + 1) - from);
    }
  }

  /** A source of pushes named {@code name} (unique among the job's concurrent pushers, e.g. "worker-3"). */
  public Pusher pusher(String name) {
    return new Pusher(name);
  }

  /**
   * Pushes of one named source, one at a time, each applied exactly once. A pusher's incarnation (random, per
   * object) and sequence number identify its push; the store keeps the latest per name and shard. In a sparse job
   * the pusher also holds the gradient its pushes have not sent yet.
   */
  public final class Pusher {
    private final byte[] name;
    private final String incarnation = UUID.randomUUID().toString();
    private final SparsePusher sparse;
    private long sequence;

    private Pusher(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a pusher needs a name");
      }
      this.name = bytes(name);
      this.sparse = format.isSparse() ? new SparsePusher(ParameterStore.this, format.density()) : null;
    }

    public ParameterStore store() {
      return ParameterStore.this;
    }

    /** Applies {@code gradient} with the job's update rule, each shard atomically. */
    public synchronized PushStats push(float[] gradient) {
      return send(gradient, null);
    }

    /**
     * Pushes like {@link #push} and writes into {@code out} the parameters as this push left them: each shard as
     * its commit stored it. The push reads every shard to update it anyway, so this is Downpour's "push, then
     * fetch" for the price of the push alone (measured: see {@code emnist store-bench}).
     */
    public synchronized PushStats pushAndFetch(float[] gradient, float[] out) {
      checkLength(out.length, "fetch into");
      if (out == gradient) {
        throw new IllegalArgumentException("pushAndFetch needs separate gradient and output arrays");
      }
      return send(gradient, out);
    }

    private PushStats send(float[] gradient, float[] out) {
      checkLength(gradient.length, "push of");
      byte[] pushId = bytes(incarnation + ":" + ++sequence);
      return sparse != null ? sparse.push(gradient, out, name, pushId)
          : ParameterStore.this.push(gradient, out, name, pushId);
    }
  }

  private PushStats push(float[] gradient, float[] out, byte[] pusher, byte[] pushId) {
    PushBuffers buffers = idleBuffers.poll();
    if (buffers == null) {
      buffers = new PushBuffers();
    }
    try {
      int conflicts = 0;
      for (int s = 0; s < shards; s++) {
        final int shard = s;
        final PushBuffers b = buffers;
        conflicts += redis.callOn(paramsKeys[s], j -> pushShard(j, shard, gradient, pusher, pushId, out, b));
      }
      return new PushStats(shards, conflicts, size);
    } finally {
      idleBuffers.offer(buffers);
    }
  }

  /**
   * One shard's optimistic update, leaving the shard's new values in {@code out} when it is given; returns how
   * many times it lost a race and started over.
   */
  private int pushShard(Jedis j, int s, float[] gradient, byte[] pusher, byte[] pushId, float[] out,
      PushBuffers buffers) {
    int from = shardStart(s);
    int n = shardStart(s + 1) - from;
    float[] values = out != null ? out : buffers.values;
    int valuesFrom = out != null ? from : 0;
    boolean adagrad = rule.needsAccumulators();
    byte[][] readKeys = adagrad ? new byte[][] {paramsKeys[s], accumKeys[s]} : new byte[][] {paramsKeys[s]};
    Connection connection = j.getConnection();
    try {
      for (int conflicts = 0; conflicts < MAX_CONFLICT_RETRIES; conflicts++) {
        // WATCH and the reads travel together: Jedis sends all three before it waits for the first reply.
        connection.sendCommand(Protocol.Command.WATCH, paramsKeys[s]);
        connection.sendCommand(Protocol.Command.MGET, readKeys);
        connection.sendCommand(Protocol.Command.HGET, pushersKeys[s], pusher);
        connection.getStatusCodeReply();
        List<byte[]> current = connection.getBinaryMultiBulkReply();
        byte[] latest = connection.getBinaryBulkReply();
        if (current.get(0) == null) {
          j.unwatch();
          throw new StoreException.NoSuchJob(job);
        }
        LittleEndianFloats.decode(current.get(0), values, valuesFrom, n);
        if (Arrays.equals(latest, pushId)) {
          j.unwatch();
          return conflicts; // applied before a dropped connection made us run again; values hold its result
        }
        if (adagrad) {
          LittleEndianFloats.decode(current.get(1), buffers.accumulators, 0, n);
        }
        rule.apply(values, valuesFrom, gradient, from, n, buffers.accumulators);
        Transaction t = j.multi();
        t.set(paramsKeys[s], buffers.encode(s, values, valuesFrom, n), SetParams.setParams().keepttl());
        if (adagrad) {
          t.set(accumKeys[s], buffers.encodeAccumulators(s, n), SetParams.setParams().keepttl());
        }
        t.incr(updatesKeys[s]);
        t.hset(pushersKeys[s], pusher, pushId);
        List<Object> result = t.exec();
        if (result != null && !result.isEmpty()) {
          return conflicts;
        }
      }
    } catch (RuntimeException e) {
      // WATCH went out raw (Jedis does not track it): a connection handed back after a failure between WATCH and
      // EXEC would still be watching, and its next transaction would be discarded. The pool closes a broken one.
      connection.setBroken();
      throw e;
    }
    throw new IllegalStateException("shard " + s + " of job " + job + ": " + MAX_CONFLICT_RETRIES
        + " pushes in a row lost the race; the store is overloaded");
  }

  private final class PushBuffers {
    // Shards differ in length by one float at most.
    final float[] values = new float[size / shards + 1];
    final float[] accumulators = new float[size / shards + 1];
    final byte[][] encodedValues = new byte[shards][];
    final byte[][] encodedAccumulators = new byte[shards][];

    byte[] encode(int s, float[] from, int offset, int n) {
      if (encodedValues[s] == null) {
        encodedValues[s] = new byte[n * Float.BYTES];
      }
      LittleEndianFloats.encode(from, offset, n, encodedValues[s]);
      return encodedValues[s];
    }

    byte[] encodeAccumulators(int s, int n) {
      if (encodedAccumulators[s] == null) {
        encodedAccumulators[s] = new byte[n * Float.BYTES];
      }
      LittleEndianFloats.encode(accumulators, 0, n, encodedAccumulators[s]);
      return encodedAccumulators[s];
    }
  }

  /** Total updates applied, summed over shards (each push counts once per shard). */
  public long updates() {
    long total = 0;
    for (byte[] c : perShard(updatesKeys)) {
      if (c == null) {
        throw new StoreException.NoSuchJob(job);
      }
      total += Long.parseLong(new String(c, StandardCharsets.UTF_8));
    }
    return total;
  }

  /** Values of one key per shard: one MGET on a single server; on a cluster, each from its slot's node. */
  private List<byte[]> perShard(byte[][] keys) {
    if (!redis.clustered()) {
      return redis.call(j -> j.mget(keys));
    }
    List<byte[]> values = new ArrayList<>(keys.length);
    for (byte[] k : keys) {
      values.add(redis.callOn(k, j -> j.get(k)));
    }
    return values;
  }

  /** Shortens the life of every key of the job to {@code soon} (after a cancel). */
  public void expireIn(Duration soon) {
    String meta = metaKey(prefix, job);
    redis.callOn(meta, j -> j.pexpire(meta, soon.toMillis()));
    for (int s = 0; s < shards; s++) {
      final int shard = s;
      redis.callOn(paramsKeys[s], j -> {
        j.pexpire(paramsKeys[shard], soon.toMillis());
        j.pexpire(accumKeys[shard], soon.toMillis());
        j.pexpire(pushersKeys[shard], soon.toMillis());
        j.pexpire(roundKeys[shard], soon.toMillis());
        j.pexpire(roundSumKeys[shard], soon.toMillis());
        return j.pexpire(updatesKeys[shard], soon.toMillis());
      });
    }
  }

  /** Removes every key of the job (the meta key first, so that the job stops being visible at once). */
  public void delete() {
    String meta = metaKey(prefix, job);
    redis.callOn(meta, j -> j.del(meta));
    for (int s = 0; s < shards; s++) {
      final int shard = s;
      redis.callOn(paramsKeys[s], j -> j.del(paramsKeys[shard], accumKeys[shard], updatesKeys[shard],
          pushersKeys[shard], roundKeys[shard], roundSumKeys[shard]));
    }
  }

  private void checkLength(int length, String what) {
    if (length != size) {
      throw new IllegalArgumentException(what + " " + length + " floats; job '" + job + "' holds " + size);
    }
  }

  /**
   * What one push cost.
   *
   * @param shards shards updated
   * @param conflicts times a shard's transaction lost a race and started over (dense pushes)
   * @param entries entries of the vector sent (all of them in a dense push)
   */
  public record PushStats(int shards, int conflicts, int entries) {}
}
