package dev.emnistfaas.train;

/**
 * A worker's newest emnist-train call, as far as the store knows: queued (by emnist-setup, or by the worker's
 * previous slice), and then begun by a pod. The queue delivers calls in the order they were queued, so a call that
 * has not begun while one queued well after it has begun was delivered and lost (a busy pod's 429 whose callback
 * never arrived): see {@link DownpourJobs#recoverStalled}.
 *
 * @param slice the slice the call runs
 * @param signedMillis when the call was signed, just before it was queued (epoch millis)
 * @param begunMillis when a pod began it (epoch millis), 0 while it has not
 */
public record WorkerCall(int slice, long signedMillis, long begunMillis) {
  public boolean begun() {
    return begunMillis > 0;
  }

  public String toJson() {
    return StoredJson.write(this);
  }

  public static WorkerCall fromJson(String json) {
    return StoredJson.read(json, WorkerCall.class);
  }
}
