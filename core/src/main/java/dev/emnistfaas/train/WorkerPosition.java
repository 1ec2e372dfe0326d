package dev.emnistfaas.train;

/**
 * What a Downpour worker saves in Redis at the end of each slice, as one JSON document: where it is, its
 * dropout generator's state, and the figures the status shows. Written whole by one compare-and-set, so a
 * crash leaves either the previous record or this one, never a mix.
 *
 * @param state running or done
 * @param epoch current epoch (from 1)
 * @param cursor next position in that epoch's order
 * @param steps training steps so far
 * @param samples training samples so far
 * @param randomState the dropout generator's state
 * @param slices slices run
 * @param pushes gradients pushed
 * @param computeSeconds seconds spent in training slices
 * @param waitSeconds of those, seconds the compute thread waited on the parameter store
 * @param warmStartSeconds of those, seconds waited for worker 0's warm start before training
 * @param samplesPerSecond throughput of the last slice
 * @param firstStartMillis when the first slice began (epoch millis)
 * @param sliceStartMillis when the last slice began
 * @param sliceEndMillis when the last slice ended
 * @param host the pod that ran the last slice
 * @param shardSize images in the worker's shard (an epoch's length)
 */
public record WorkerPosition(WorkerState state, int epoch, int cursor, long steps, long samples, long randomState,
    int slices, long pushes, double computeSeconds, double waitSeconds, double warmStartSeconds,
    double samplesPerSecond, long firstStartMillis, long sliceStartMillis, long sliceEndMillis, String host,
    int shardSize) {
  public static WorkerPosition initial(long randomState) {
    return new WorkerPosition(WorkerState.RUNNING, 1, 0, 0, 0, randomState, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", 0);
  }

  /** Epochs completed, with the current one's fraction: 1.5 is half-way through the second epoch. */
  public double epochs() {
    return shardSize == 0 ? epoch - 1 : epoch - 1 + (double) cursor / shardSize;
  }

  public boolean done() {
    return state == WorkerState.DONE;
  }

  /** This position with the worker marked done, and nothing else changed. */
  public WorkerPosition finished(long nowMillis, String pod) {
    return new WorkerPosition(WorkerState.DONE, epoch, cursor, steps, samples, randomState, slices, pushes,
        computeSeconds, waitSeconds, warmStartSeconds, samplesPerSecond, firstStartMillis, sliceStartMillis,
        nowMillis, pod, shardSize);
  }

  /** Whether this worker's last slice and {@code other}'s ran at the same moment. */
  public boolean lastSliceOverlaps(WorkerPosition other) {
    return slices > 0 && other.slices > 0 && sliceStartMillis < other.sliceEndMillis
        && other.sliceStartMillis < sliceEndMillis;
  }

  public String toJson() {
    return StoredJson.write(this);
  }

  /** Reads a saved record; a record that does not parse is named in the error with its text. */
  public static WorkerPosition fromJson(String json) {
    return StoredJson.read(json, WorkerPosition.class);
  }
}
