package dev.emnistfaas.bench;

import dev.emnistfaas.ps.AveragingRounds;
import dev.emnistfaas.ps.ParameterStore;
import dev.emnistfaas.ps.PushFormat;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.RoundUpdate;
import dev.emnistfaas.ps.UpdateRule;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fetch and push latency of the parameter store next to raw SET and GET of the same byte count, in one run,
 * plus the Redis server's own time per command (INFO commandstats).
 */
public final class StoreBenchmark {
  private final RedisConnection redis;
  private final PrintStream out;
  private final int size;
  private final int shards;

  public StoreBenchmark(RedisConnection redis, PrintStream out, int size, int shards) {
    this.redis = redis;
    this.out = out;
    this.size = size;
    this.shards = shards;
  }

  /** Millisecond latencies of {@code n} runs of an operation, after a warm-up. */
  interface Op {
    void run();
  }

  private static double[] latencies(Op op, int n) {
    for (int i = 0; i < Math.min(50, n); i++) {
      op.run();
    }
    double[] ms = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      op.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms;
  }

  private static double[] concat(double[] a, double[] b) {
    if (a == null) {
      return b;
    }
    double[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static double[] sorted(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s;
  }

  private static double pct(double[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
  }

  public void run(int iterations) {
    byte[] blob = new byte[size * Float.BYTES];
    byte[] rawKey = "emnist:bench:raw".getBytes();
    out.printf("== parameter store, %d floats (%d bytes), %d shard(s), Redis at %s%n", size, blob.length, shards,
        redis.address());
    String job = "bench-" + System.nanoTime();
    ParameterStore store = ParameterStore.create(redis, "emnist", job, new float[size], shards,
        new UpdateRule(UpdateRule.Kind.SGD, 0.01f), Duration.ofMinutes(10));
    float[] params = new float[size];
    float[] returned = new float[size];
    ParameterStore.Pusher bench = store.pusher("bench");
    float[] grad = new float[size];
    Arrays.fill(grad, 1e-3f);
    // Raw and store operations alternate in rounds, so a noisy spell on this shared machine hits both alike.
    int rounds = 5;
    int each = Math.max(1, iterations / rounds);
    double[][] phases = new double[5][];
    double[] cpu = new double[5];
    for (int round = 0; round < rounds; round++) {
      Op[] ops = {() -> redis.callOn(rawKey, j -> j.set(rawKey, blob)), () -> redis.callOn(rawKey, j -> j.get(rawKey)),
          () -> store.fetch(params), () -> bench.push(grad), () -> bench.pushAndFetch(grad, returned)};
      for (int k = 0; k < ops.length; k++) {
        double c0 = serverCpuSeconds();
        phases[k] = concat(phases[k], latencies(ops[k], each));
        cpu[k] += serverCpuSeconds() - c0;
      }
    }
    redis.callOn(rawKey, j -> j.del(rawKey));
    double[] set = sorted(phases[0]);
    double[] get = sorted(phases[1]);
    double[] fetch = sorted(phases[2]);
    double[] push = sorted(phases[3]);
    double[] pushAndFetch = sorted(phases[4]);

    out.println("operation        median ms   p99 ms");
    row("raw SET", set);
    row("raw GET", get);
    row("fetch", fetch);
    row("push", push);
    row("pushAndFetch", pushAndFetch);
    double raw = pct(set, 0.5) + pct(get, 0.5);
    out.printf("push+fetch / raw SET+GET (medians): %.2f as two calls, %.2f as pushAndFetch (a Downpour worker's "
        + "cycle when the fetch falls on the push step)  (target <= 2)%n",
        (pct(fetch, 0.5) + pct(push, 0.5)) / raw, pct(pushAndFetch, 0.5) / raw);

    // Redis's own CPU time (reading, parsing, executing, replying) over the calls of each phase, warm-up included.
    long calls = (long) rounds * (each + Math.min(50, each));
    double perPush = cpu[3] / calls * 1e6;
    out.printf("Redis CPU per push: %.0f us -> %.0f pushes/s on one Redis core (target >= 500); "
        + "per raw SET %.0f us, per raw GET %.0f us%n", perPush, 1e6 / perPush, cpu[0] / calls * 1e6,
        cpu[1] / calls * 1e6);

    for (int pushers : new int[] {1, 2, 4}) {
      concurrent(store, pushers, Math.max(50, iterations / 2));
    }
    store.delete();
  }

  /**
   * What a job leaves in Redis after {@code pushes} pushes from {@code workers} pushers taking turns: its keys
   * and Redis's memory beside those of a job that was only created (the idempotency state must not grow with the
   * pushes).
   */
  public void stateAfter(int pushes, int workers) {
    String job = "bench-state-" + System.nanoTime();
    long before = usedMemory();
    ParameterStore store = ParameterStore.create(redis, "emnist", job, new float[size], shards,
        new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.01f), Duration.ofMinutes(10));
    long created = usedMemory() - before;
    int keysCreated = jobKeys(job);
    ParameterStore.Pusher[] pushers = new ParameterStore.Pusher[workers];
    for (int w = 0; w < workers; w++) {
      pushers[w] = store.pusher("worker-" + w);
    }
    float[] g = new float[size];
    Arrays.fill(g, 1e-3f);
    long t0 = System.nanoTime();
    for (int k = 0; k < pushes; k++) {
      pushers[k % workers].push(g);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    out.printf("Redis state of one job (Adagrad, %d shard(s)): created: %d keys, %.2f MB; after %,d pushes from %d "
        + "pushers (%.1f s): %d keys, %.2f MB, %,d updates%n", shards, keysCreated, created / 1e6, pushes, workers,
        seconds, jobKeys(job), (usedMemory() - before) / 1e6, store.updates());
    store.delete();
  }

  /**
   * What one push costs: Redis's CPU seconds, the pushing thread's own (decoding, the rule, encoding; for sparse
   * pushes the residual and the choice), and the bytes on Redis's sockets, in and out.
   */
  public record PushCost(double redisSeconds, double clientSeconds, double wireBytes) {}

  /**
   * The cost of a Downpour worker's push to a job with {@code shards} shards, {@code rule} and {@code format}, over
   * {@code pushes} pushes after a warm-up: every {@code pushesPerFetch}-th push also fetches ({@code nFetch /
   * nPush}; 0: none does; a dense push reads the parameters anyway). The vector has this benchmark's size; the gradients are
   * Gaussian noise, a new one each push (eight cycled), so that a sparse pusher's residual behaves as in training.
   */
  public PushCost costPerPush(int shards, UpdateRule rule, PushFormat format, int pushes, int pushesPerFetch) {
    ParameterStore store = ParameterStore.create(redis, "emnist", "bench-cost-" + System.nanoTime(),
        new float[size], shards, rule, format, Duration.ofMinutes(10));
    ParameterStore.Pusher pusher = store.pusher("worker-0");
    float[][] gradients = noise(8);
    float[] back = new float[size];
    for (int k = 0; k < Math.min(50, pushes); k++) {
      pusher.pushAndFetch(gradients[k % gradients.length], back);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long bytes0 = wireBytes(redis);
    double c0 = serverCpuSeconds();
    long t0 = threads.getCurrentThreadCpuTime();
    for (int k = 0; k < pushes; k++) {
      float[] g = gradients[k % gradients.length];
      if (pushesPerFetch > 0 && k % pushesPerFetch == 0) {
        pusher.pushAndFetch(g, back);
      } else {
        pusher.push(g);
      }
    }
    double client = (threads.getCurrentThreadCpuTime() - t0) / 1e9 / pushes;
    double redisCpu = (serverCpuSeconds() - c0) / pushes;
    double bytes = (double) (wireBytes(redis) - bytes0) / pushes;
    store.delete();
    return new PushCost(redisCpu, client, bytes);
  }

  /**
   * The cost of a parameter-averaging worker's round on a job with {@code shards} shards and {@code rule}, over
   * {@code rounds} rounds after a warm-up, as it is with {@code workers} workers: all but the last contributor of a
   * round add to it and fetch the new parameters once it closes; the last one closes it with its contribution and
   * gets them back (one transaction). Measured one worker at a time: a contribution that leaves the round open and
   * a fetch, and a contribution that closes it; weighted (M - 1) to 1.
   */
  public PushCost costPerContribution(int shards, UpdateRule rule, int rounds, int workers) {
    ParameterStore store = ParameterStore.create(redis, "emnist", "bench-round-" + System.nanoTime(),
        new float[size], shards, rule, PushFormat.DENSE, Duration.ofMinutes(10));
    AveragingRounds averaging = store.rounds();
    averaging.open();
    float[][] gradients = noise(8);
    float[] back = new float[size];
    long[] round = averaging.fetch(back);
    // What an open-leaving contribution and the fetch after it cost, and what a closing contribution costs.
    PushCost[] open = new PushCost[2];
    PushCost[] closing = new PushCost[1];
    double[] opened = new double[3];
    double[] closed = new double[3];
    int warmUp = Math.min(50, rounds);
    for (int k = 0; k < warmUp + rounds; k++) {
      float[] g = gradients[k % gradients.length];
      long[] r = round;
      open[0] = measured(() -> averaging.contribute(0, r, g, Integer.MAX_VALUE, RoundUpdate.MEAN, back));
      averaging.close(round, RoundUpdate.MEAN); // another worker's
      long[][] next = new long[1][];
      open[1] = measured(() -> next[0] = averaging.fetch(back));
      round = next[0];
      long[] r2 = round;
      closing[0] = measured(() -> averaging.contribute(0, r2, g, 1, RoundUpdate.MEAN, back));
      for (int s = 0; s < round.length; s++) {
        round[s]++;
      }
      if (k >= warmUp) {
        opened[0] += (open[0].redisSeconds() + open[1].redisSeconds()) / rounds;
        opened[1] += (open[0].clientSeconds() + open[1].clientSeconds()) / rounds;
        opened[2] += (open[0].wireBytes() + open[1].wireBytes()) / rounds;
        closed[0] += closing[0].redisSeconds() / rounds;
        closed[1] += closing[0].clientSeconds() / rounds;
        closed[2] += closing[0].wireBytes() / rounds;
      }
    }
    store.delete();
    double last = 1.0 / workers;
    return new PushCost((1 - last) * opened[0] + last * closed[0], (1 - last) * opened[1] + last * closed[1],
        (1 - last) * opened[2] + last * closed[2]);
  }

  /** What {@code operation} cost: Redis's CPU, this thread's CPU, and the bytes on Redis's sockets. */
  private PushCost measured(Runnable operation) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long bytes0 = wireBytes(redis);
    double c0 = serverCpuSeconds();
    long t0 = threads.getCurrentThreadCpuTime();
    operation.run();
    return new PushCost(serverCpuSeconds() - c0, (threads.getCurrentThreadCpuTime() - t0) / 1e9,
        wireBytes(redis) - bytes0);
  }

  /** {@code n} vectors of Gaussian noise (σ 1e-3, a fixed seed): gradients for pushes that vary. */
  private float[][] noise(int n) {
    java.util.Random random = new java.util.Random(1);
    float[][] gradients = new float[n][size];
    for (float[] g : gradients) {
      for (int i = 0; i < size; i++) {
        g[i] = (float) (random.nextGaussian() * 1e-3);
      }
    }
    return gradients;
  }

  /**
   * Dense against sparse pushes, for SGD and Adagrad ({@link #costPerPush}, pushes only: a fetch adds 4 bytes per
   * entry in either format): bytes on the wire per push, Redis's CPU and the pushing thread's CPU per push.
   */
  public void pushFormats(int pushes, double density) {
    out.printf("== dense against sparse pushes (density %.1f %%), %d floats, %d shard(s), %d pushes each, no fetches%n",
        100 * density, size, shards, pushes);
    out.println("rule      format    wire bytes/push  x dense  Redis CPU us/push  pusher CPU us/push");
    for (UpdateRule.Kind kind : UpdateRule.Kind.values()) {
      double denseBytes = 0;
      for (PushFormat format : List.of(PushFormat.DENSE, PushFormat.sparse(density))) {
        PushCost cost = costPerPush(shards, new UpdateRule(kind, 0.05f), format, pushes, 0);
        denseBytes = format.isSparse() ? denseBytes : cost.wireBytes();
        out.printf("%-9s %-9s %,15.0f  %7.3f  %17.0f  %18.0f%n", kind.name().toLowerCase(Locale.ROOT),
            format.encoding().name().toLowerCase(Locale.ROOT), cost.wireBytes(), cost.wireBytes() / denseBytes,
            cost.redisSeconds() * 1e6, cost.clientSeconds() * 1e6);
      }
    }
  }

  /** Bytes the server has received and sent on all its connections so far (INFO stats). */
  public static long wireBytes(RedisConnection redis) {
    return (long) infoSum(redis, "stats", "total_net_input_bytes", "total_net_output_bytes");
  }

  private int jobKeys(String job) {
    return redis.call(j -> j.keys("emnist:{" + job + "*").size());
  }

  private long usedMemory() {
    String info = redis.call(j -> j.info("memory"));
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("INFO memory has no used_memory");
  }

  private void row(String name, double[] ms) {
    out.printf("%-14s %10.2f %8.2f%n", name, pct(ms, 0.5), pct(ms, 0.99));
  }

  /** The Redis server's CPU seconds so far (user + system, main thread and I/O). */
  private double serverCpuSeconds() {
    return infoSum(redis, "cpu", "used_cpu_user", "used_cpu_sys");
  }

  /** The sum of the numeric fields {@code a} and {@code b} of INFO section {@code section}. */
  private static double infoSum(RedisConnection redis, String section, String a, String b) {
    double total = 0;
    for (String line : redis.call(j -> j.info(section)).split("\r?\n")) {
      if (line.startsWith(a + ":") || line.startsWith(b + ":")) {
        total += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return total;
  }

  private void concurrent(ParameterStore store, int pushers, int pushesEach) {
    ExecutorService pool = Executors.newFixedThreadPool(pushers);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<double[]>> results = new ArrayList<>();
    for (int t = 0; t < pushers; t++) {
      ParameterStore.Pusher mine = store.pusher("bench-" + t);
      results.add(pool.submit(() -> {
        float[] g = new float[size];
        Arrays.fill(g, 1e-3f);
        go.await();
        double[] ms = new double[pushesEach];
        for (int k = 0; k < pushesEach; k++) {
          long t0 = System.nanoTime();
          mine.push(g);
          ms[k] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
      }));
    }
    long t0 = System.nanoTime();
    go.countDown();
    List<Double> all = new ArrayList<>();
    try {
      for (Future<double[]> f : results) {
        for (double v : f.get()) {
          all.add(v);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("concurrent pushers failed", e);
    } finally {
      pool.shutdown();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    out.printf("%d concurrent pusher(s): %6.0f pushes/s, latency median %.2f ms, p99 %.2f ms%n", pushers,
        all.size() / seconds, pct(sorted, 0.5), pct(sorted, 0.99));
  }
}
