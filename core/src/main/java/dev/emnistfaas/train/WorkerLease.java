package dev.emnistfaas.train;

import dev.emnistfaas.ps.JobStore;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The right to run one worker's slices, held by one call at a time: an expiring Redis key that the holder
 * renews while it trains. A duplicate delivery finds it held and does nothing; a call whose holder died (its
 * pod was killed) waits for the key to expire and then takes over, so a kill costs at most one lease expiry.
 */
final class WorkerLease implements AutoCloseable {
  /** How long a lease lasts without renewal. */
  static final Duration DURATION = Duration.ofSeconds(5);
  /** How often the holder renews it: a few renewals fit in one lease, so a slow Redis call does not lose it. */
  static final long RENEW_EVERY_NANOS = 1_000_000_000L;
  private static final long POLL_MILLIS = 100;

  private final JobStore jobs;
  private final String job;
  private final int worker;
  private final String token = UUID.randomUUID().toString();
  private long renewAt;

  private WorkerLease(JobStore jobs, String job, int worker) {
    this.jobs = jobs;
    this.job = job;
    this.worker = worker;
  }

  String token() {
    return token;
  }

  /**
   * Takes worker {@code worker}'s lease. While another call holds it, watches it: a holder that renews it is
   * alive (empty: this call is a duplicate); a lease that expires or is released is taken. Waits at most one
   * lease duration and a little more.
   */
  static Optional<WorkerLease> take(JobStore jobs, String job, int worker) {
    WorkerLease lease = new WorkerLease(jobs, job, worker);
    long deadline = System.nanoTime() + DURATION.toNanos() + 2 * POLL_MILLIS * 1_000_000L;
    long lastLeft = -1;
    while (true) {
      if (jobs.acquireLease(job, worker, lease.token, DURATION)) {
        lease.renewAt = System.nanoTime() + RENEW_EVERY_NANOS;
        return Optional.of(lease);
      }
      long left = jobs.leaseMillisLeft(job, worker);
      boolean renewed = lastLeft > 0 && left > lastLeft + POLL_MILLIS;
      if (renewed || System.nanoTime() > deadline) {
        return Optional.empty(); // renewed since the last look: the holder is alive
      }
      lastLeft = left;
      sleep(POLL_MILLIS);
    }
  }

  /** Renews the lease when a renewal is due; throws {@link LeaseLost} when another call took it meanwhile. */
  void renewIfDue() {
    long now = System.nanoTime();
    if (now < renewAt) {
      return;
    }
    if (!jobs.renewLease(job, worker, token, DURATION)) {
      throw new LeaseLost(job, worker);
    }
    renewAt = now + RENEW_EVERY_NANOS;
  }

  @Override
  public void close() {
    jobs.releaseLease(job, worker, token);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a worker's lease", e);
    }
  }

  /** The slice lost its lease (it stalled past the lease's expiry) and stopped without saving. */
  static final class LeaseLost extends DownpourWorker.SliceAbandoned {
    LeaseLost(String job, int worker) {
      super("worker " + worker + " of job " + job + " lost its lease mid-slice (it stalled for over "
          + DURATION.toSeconds() + " s); stopped without saving");
    }
  }
}
