package dev.emnistfaas.bench;

/**
 * Samples per second and time to target of a Downpour job with M workers on S Redis masters, from measured
 * costs: a worker trains at {@code batch / stepSeconds} samples/s while its pushes, each costing its second core
 * {@code clientPushSeconds} (decoding, the rule, encoding), keep up; otherwise at the pushes' pace;
 * every push costs each master {@code redisOverheadSeconds + redisBytesSeconds / S} of its CPU (the per-shard round
 * trip, and the bytes of a 1/S slice) and carries {@code bytesPerPush / S} through each master's network link in
 * both directions together; the job needs {@code samplesToTarget(M)} samples in all (from
 * {@link dev.emnistfaas.train.StalenessSimulation}). The slowest of the three - the workers, the masters' CPU, the
 * masters' links - bounds the job's samples/s.
 */
public record ScalingModel(double stepSeconds, double clientPushSeconds, int batch, int nPush,
    double redisOverheadSeconds, double redisBytesSeconds, double bytesPerPush, boolean synchronous) {

  /** A master's network link. */
  public enum Link {
    GBE_1("1 GbE", 125e6),
    GBE_10("10 GbE", 1.25e9),
    GBE_25("25 GbE", 3.125e9);

    public final String label;
    public final double bytesPerSecond;

    Link(String label, double bytesPerSecond) {
      this.label = label;
      this.bytesPerSecond = bytesPerSecond;
    }
  }

  /** What bounds the job's samples/s. */
  public enum Bound {
    WORKERS("W"),
    REDIS_CPU("C"),
    NETWORK("N");

    /** One letter, for tables. */
    public final String code;

    Bound(String code) {
      this.code = code;
    }
  }

  /** One prediction; {@code secondsToTarget} is NaN when the job does not reach the target at this M. */
  public record Prediction(int workers, int shards, Link link, double samplesPerSecond, Bound bound,
      double secondsToTarget) {}

  /**
   * From Redis CPU per push measured at one shard ({@code cpu1}) and at {@code s} shards on one server
   * ({@code cpuS}): S shards cost S round trips and the same bytes, so cpu(S) = S * overhead + bytes.
   */
  public static ScalingModel calibrated(double stepSeconds, double clientPushSeconds, int batch, int nPush,
      double cpu1, double cpuS, int s, double bytesPerPush) {
    double overhead = Math.max(0, (cpuS - cpu1) / (s - 1));
    double bytes = Math.max(0, cpu1 - overhead);
    return new ScalingModel(stepSeconds, clientPushSeconds, batch, nPush, overhead, bytes, bytesPerPush, false);
  }

  /**
   * As {@link #calibrated}, for workers that wait for each send before they step on (parameter averaging's rounds):
   * a worker's time per send is its {@code nPush} steps, its own CPU for the send and Redis's on one shard.
   */
  public static ScalingModel calibratedSynchronous(double stepSeconds, double clientPushSeconds, int batch,
      int nPush, double cpu1, double cpuS, int s, double bytesPerPush) {
    ScalingModel m = calibrated(stepSeconds, clientPushSeconds, batch, nPush, cpu1, cpuS, s, bytesPerPush);
    return new ScalingModel(stepSeconds, clientPushSeconds, batch, nPush, m.redisOverheadSeconds(),
        m.redisBytesSeconds(), bytesPerPush, true);
  }

  /**
   * One worker's samples/s: its steps on one core, its pushes on another, the slower of the two; or, synchronous,
   * its steps and then its send, one after the other.
   */
  public double workerSamplesPerSecond() {
    if (synchronous) {
      return batch * nPush / (nPush * stepSeconds + clientPushSeconds + redisOverheadSeconds + redisBytesSeconds);
    }
    return batch / Math.max(stepSeconds, clientPushSeconds / nPush);
  }

  /** Pushes/s the S masters' CPU can take: each push visits every master, with 1/S of the bytes. */
  private double cpuPushCapacity(int shards) {
    return 1 / (redisOverheadSeconds + redisBytesSeconds / shards);
  }

  /** Pushes/s the S masters' links can carry. */
  private double linkPushCapacity(int shards, Link link) {
    return link.bytesPerSecond * shards / bytesPerPush;
  }

  /** Pushes/s the S masters can take. */
  public double pushCapacity(int shards, Link link) {
    return Math.min(cpuPushCapacity(shards), linkPushCapacity(shards, link));
  }

  /**
   * The job's samples/s and time to target: {@code samplesToTarget} samples (negative: never reached) of which the
   * first {@code warmStartSamples} come from one worker alone.
   */
  public Prediction predict(int workers, int shards, Link link, long samplesToTarget, long warmStartSamples) {
    double computeBound = workers * workerSamplesPerSecond();
    double cpuBound = cpuPushCapacity(shards) * nPush * batch;
    double netBound = linkPushCapacity(shards, link) * nPush * batch;
    double x = Math.min(computeBound, Math.min(cpuBound, netBound));
    Bound bound = x == computeBound ? Bound.WORKERS : x == cpuBound ? Bound.REDIS_CPU : Bound.NETWORK;
    double seconds = Double.NaN;
    if (samplesToTarget >= 0) {
      long warm = Math.min(warmStartSamples, samplesToTarget);
      seconds = warm / Math.min(workerSamplesPerSecond(), x) + (samplesToTarget - warm) / x;
    }
    return new Prediction(workers, shards, link, x, bound, seconds);
  }

  /** What bounds the masters: their CPU or their links. */
  public Bound masterBound(int shards, Link link) {
    return cpuPushCapacity(shards) <= linkPushCapacity(shards, link) ? Bound.REDIS_CPU : Bound.NETWORK;
  }

  /** The number of workers beyond which more add no samples/s: where the masters become the bound. */
  public double wall(int shards, Link link) {
    return pushCapacity(shards, link) * nPush * batch / workerSamplesPerSecond();
  }
}
