package dev.emnistfaas.ps;

import dev.emnistfaas.optim.Adagrad;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The sparse pushes of one named pusher ({@link PushFormat.Encoding#SPARSE}). A push adds the gradient to the
 * pusher's {@link SparseResidual}, picks the entries to send and, shard by shard, has Redis add them in place:
 *
 * <ul>
 *   <li>SGD, one round trip: {@code MULTI; PTTL params; BITFIELD params OVERFLOW SAT INCRBY i32 #k Δ…; INCR updates;
 *       HSET pushers name pushId; EXEC} (with {@code GET params} behind it when the push also fetches).
 *   <li>Adagrad, two: first the accumulators ({@code BITFIELD accum INCRBY i64 #k Σg²…}, the squares of the
 *       pushes' gradients the entry has held back, as dense pushes would have added them; the replies are the new
 *       sums G; and {@code HSET pushers name pushId:accumulated}), then the parameters with Δ = −γ·r/√G, r the
 *       entry's residual, computed here. Other pushers may add to G in between: Downpour's shards and entries are independent, and each
 *       entry's G is exact when its own step is computed.
 * </ul>
 *
 * <p>Each transaction is atomic on its own and takes no lock, so pushers never lose a race and start over. A
 * first attempt sends without reading; an attempt after a lost connection (which may have committed) first
 * WATCHes the pushers hash and reads its own record, and goes on from there: a push is applied once. {@code
 * PTTL} tells whether the key existed: a push to a job deleted or expired meanwhile removes what {@code BITFIELD}
 * recreated and fails with {@link StoreException.NoSuchJob}. What rounding to the fixed-point unit leaves out of
 * Δ stays in the residual.
 */
final class SparsePusher {
  private static final int MAX_ATTEMPTS = 1000;
  private static final byte[] OVERFLOW = ascii("OVERFLOW");
  private static final byte[] SAT = ascii("SAT");
  private static final byte[] INCRBY = ascii("INCRBY");
  private static final byte[] GET = ascii("GET");
  private static final byte[] I32 = ascii("i32");
  private static final byte[] I64 = ascii("i64");

  private final ParameterStore store;
  private final UpdateRule rule;
  private final SparseResidual residual;
  /** This shard's chosen entries (indices into the vector), their increments and the gradient each stands for. */
  private final int[] chosen;
  private final long[] units;
  private final float[] applied;

  SparsePusher(ParameterStore store, double density) {
    this.store = store;
    this.rule = store.rule();
    this.residual = new SparseResidual(store.size(), density);
    int shardSize = store.size() / store.shards() + 1;
    // Room for twice the share the threshold aims at (it is exact to a histogram bucket); the rest waits.
    int capacity = (int) Math.min(shardSize, Math.ceil(2 * density * shardSize) + 16);
    this.chosen = new int[capacity];
    this.units = new long[capacity];
    this.applied = new float[capacity];
  }

  ParameterStore.PushStats push(float[] gradient, float[] out, byte[] pusher, byte[] pushId) {
    float threshold = residual.add(gradient);
    int entries = 0;
    for (int s = 0; s < store.shards(); s++) {
      int from = store.shardStart(s);
      int count = residual.choose(from, store.shardStart(s + 1), threshold, chosen);
      final int shard = s;
      int[] attempts = {0};
      store.redis().callOn(store.paramsKey(s),
          j -> pushShard(j, shard, count, pusher, pushId, out, attempts[0]++ > 0));
      for (int e = 0; e < count; e++) {
        residual.sent(chosen[e], applied[e]);
      }
      entries += count;
    }
    return new ParameterStore.PushStats(store.shards(), 0, entries);
  }

  private enum Stage {
    NOTHING,
    ACCUMULATED
  }

  /** Applies this shard's chosen entries once; {@code afterLostConnection}: an earlier attempt may have committed. */
  private Void pushShard(Jedis j, int s, int count, byte[] pusher, byte[] pushId, float[] out,
      boolean afterLostConnection) {
    byte[] accumulatedMark = concat(pushId, ascii(":accumulated"));
    boolean adagrad = rule.needsAccumulators();
    Connection connection = j.getConnection();
    try {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Stage stage = Stage.NOTHING;
        boolean watching = afterLostConnection;
        if (afterLostConnection) {
          connection.sendCommand(Protocol.Command.WATCH, store.pushersKey(s));
          connection.sendCommand(Protocol.Command.HGET, store.pushersKey(s), pusher);
          connection.getStatusCodeReply();
          byte[] latest = connection.getBinaryBulkReply();
          if (Arrays.equals(latest, pushId)) {
            j.unwatch();
            if (out != null) {
              store.decodeShard(s, j.get(store.paramsKey(s)), out);
            }
            return null; // the lost attempt committed; applied[] holds what it sent
          }
          if (adagrad && Arrays.equals(latest, accumulatedMark)) {
            stage = Stage.ACCUMULATED;
          }
        }
        if (adagrad && count > 0) {
          List<Object> sums;
          if (stage == Stage.ACCUMULATED) {
            sums = readAccumulators(connection, s, count);
          } else {
            for (int e = 0; e < count; e++) {
              units[e] = FixedPoint.accumulatorUnits(residual.squares(chosen[e]));
            }
            sums = commit(connection, s, store.accumKey(s), I64, count, false, pusher, accumulatedMark, null);
            if (sums == null) {
              continue; // the WATCH saw a commit: look again
            }
            watching = false; // EXEC ends a WATCH
          }
          adagradSteps(sums, count);
        } else if (!adagrad) {
          sgdSteps(count);
        }
        List<Object> done = commit(connection, s, store.paramsKey(s), I32, count, true, pusher, pushId, out);
        if (done != null || !watching) {
          return null;
        }
      }
    } catch (RuntimeException e) {
      // Raw WATCH and pipelined replies: a connection that failed half-way must not go back to the pool.
      connection.setBroken();
      throw e;
    }
    throw new IllegalStateException("shard " + s + " of job " + store.job() + ": " + MAX_ATTEMPTS
        + " retries after a lost connection in a row saw another push commit between their check and their own");
  }

  private void sgdSteps(int count) {
    for (int e = 0; e < count; e++) {
      double step = -rule.learningRate() * (double) residual.get(chosen[e]);
      units[e] = FixedPoint.parameterUnits(step);
      applied[e] = (float) (units[e] * FixedPoint.PARAMETER_UNIT / -rule.learningRate());
    }
  }

  private void adagradSteps(List<Object> sums, int count) {
    for (int e = 0; e < count; e++) {
      double g = residual.get(chosen[e]);
      double sum = (Long) sums.get(e) * FixedPoint.ACCUMULATOR_UNIT;
      double step = -rule.learningRate() * g / (Math.sqrt(sum) + Adagrad.EPSILON);
      units[e] = FixedPoint.parameterUnits(step);
      applied[e] = step == 0 ? 0 : (float) (g * (units[e] * FixedPoint.PARAMETER_UNIT / step));
    }
  }

  /**
   * {@code MULTI; PTTL key; BITFIELD key …; [INCR updates]; HSET pushers name mark; EXEC}, with {@code GET params}
   * behind it when {@code out} is given; returns BITFIELD's replies, or null when a WATCH discarded the transaction.
   */
  @SuppressWarnings("unchecked")
  private List<Object> commit(Connection connection, int s, byte[] key, byte[] type, int count, boolean countUpdate,
      byte[] pusher, byte[] mark, float[] out) {
    connection.sendCommand(Protocol.Command.MULTI);
    connection.sendCommand(Protocol.Command.PTTL, key);
    connection.sendCommand(Protocol.Command.BITFIELD, increments(key, type, s, count));
    if (countUpdate) {
      connection.sendCommand(Protocol.Command.INCR, store.updatesKey(s));
    }
    connection.sendCommand(Protocol.Command.HSET, store.pushersKey(s), pusher, mark);
    connection.sendCommand(Protocol.Command.EXEC);
    if (out != null) {
      connection.sendCommand(Protocol.Command.GET, store.paramsKey(s));
    }
    connection.getStatusCodeReply();
    for (int queued = countUpdate ? 4 : 3; queued > 0; queued--) {
      connection.getStatusCodeReply();
    }
    List<Object> results = connection.getObjectMultiBulkReply();
    byte[] values = out != null ? connection.getBinaryBulkReply() : null;
    if (results == null) {
      return null;
    }
    for (Object r : results) {
      if (r instanceof JedisDataException e) {
        throw e;
      }
    }
    if ((Long) results.get(0) == -2) {
      store.removeShard(connection, s); // BITFIELD, INCR and HSET recreated keys of a job that is gone
      throw new StoreException.NoSuchJob(store.job());
    }
    if (out != null) {
      store.decodeShard(s, values, out);
    }
    return (List<Object>) results.get(1);
  }

  /** {@code key OVERFLOW SAT INCRBY type #offset units …} for the chosen entries whose increment is not 0. */
  private byte[][] increments(byte[] key, byte[] type, int s, int count) {
    int from = store.shardStart(s);
    boolean all = type == I64; // the accumulators' replies are read entry by entry: send every one
    int sent = 0;
    for (int e = 0; e < count; e++) {
      if (all || units[e] != 0) {
        sent++;
      }
    }
    byte[][] args = new byte[3 + 4 * sent][];
    args[0] = key;
    args[1] = OVERFLOW;
    args[2] = SAT;
    int a = 3;
    for (int e = 0; e < count; e++) {
      if (all || units[e] != 0) {
        args[a++] = INCRBY;
        args[a++] = type;
        args[a++] = ascii("#" + (chosen[e] - from));
        args[a++] = ascii(Long.toString(units[e]));
      }
    }
    return args;
  }

  private List<Object> readAccumulators(Connection connection, int s, int count) {
    int from = store.shardStart(s);
    byte[][] args = new byte[1 + 3 * count][];
    args[0] = store.accumKey(s);
    for (int e = 0; e < count; e++) {
      args[1 + 3 * e] = GET;
      args[2 + 3 * e] = I64;
      args[3 + 3 * e] = ascii("#" + (chosen[e] - from));
    }
    connection.sendCommand(Protocol.Command.BITFIELD, args);
    return connection.getObjectMultiBulkReply();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
