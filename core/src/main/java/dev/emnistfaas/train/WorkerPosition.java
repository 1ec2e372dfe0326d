package dev.emnistfaas.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a Downpour worker saves in Redis between slices: where it is, its dropout generator's state, and the
 * figures the status shows.
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
 * @param samplesPerSecond throughput of the last slice
 * @param firstStartMillis when the first slice began (epoch millis)
 * @param sliceStartMillis when the last slice began
 * @param sliceEndMillis when the last slice ended
 * @param host the pod that ran the last slice
 * @param shardSize images in the worker's shard (an epoch's length)
 */
public record WorkerPosition(String state, int epoch, int cursor, long steps, long samples, long randomState,
    int slices, long pushes, double computeSeconds, double waitSeconds, double samplesPerSecond, long firstStartMillis,
    long sliceStartMillis, long sliceEndMillis, String host, int shardSize) {

  public static final String RUNNING = "running";
  public static final String DONE = "done";

  public static WorkerPosition initial(long randomState) {
    return new WorkerPosition(RUNNING, 1, 0, 0, 0, randomState, 0, 0, 0, 0, 0, 0, 0, 0, "", 0);
  }

  /** Epochs completed, with the current one's fraction: 1.5 is half-way through the second epoch. */
  public double epochs() {
    return shardSize == 0 ? epoch - 1 : epoch - 1 + (double) cursor / shardSize;
  }

  public boolean done() {
    return DONE.equals(state);
  }

  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("state", state);
    m.put("epoch", "" + epoch);
    m.put("cursor", "" + cursor);
    m.put("steps", "" + steps);
    m.put("samples", "" + samples);
    m.put("randomState", "" + randomState);
    m.put("slices", "" + slices);
    m.put("pushes", "" + pushes);
    m.put("computeSeconds", "" + computeSeconds);
    m.put("waitSeconds", "" + waitSeconds);
    m.put("samplesPerSecond", "" + samplesPerSecond);
    m.put("firstStartMillis", "" + firstStartMillis);
    m.put("sliceStartMillis", "" + sliceStartMillis);
    m.put("sliceEndMillis", "" + sliceEndMillis);
    m.put("host", host);
    m.put("shardSize", "" + shardSize);
    return m;
  }

  public static WorkerPosition fromMap(Map<String, String> m) {
    return new WorkerPosition(m.get("state"), Integer.parseInt(m.get("epoch")), Integer.parseInt(m.get("cursor")),
        Long.parseLong(m.get("steps")), Long.parseLong(m.get("samples")), Long.parseLong(m.get("randomState")),
        Integer.parseInt(m.get("slices")), Long.parseLong(m.get("pushes")),
        Double.parseDouble(m.get("computeSeconds")), Double.parseDouble(m.get("waitSeconds")),
        Double.parseDouble(m.get("samplesPerSecond")),
        Long.parseLong(m.get("firstStartMillis")), Long.parseLong(m.get("sliceStartMillis")),
        Long.parseLong(m.get("sliceEndMillis")), m.getOrDefault("host", ""),
        Integer.parseInt(m.getOrDefault("shardSize", "0")));
  }
}
