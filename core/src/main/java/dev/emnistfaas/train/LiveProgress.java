package dev.emnistfaas.train;

/**
 * What a running slice reports about itself about once a second, in a record of its own beside the saved
 * position (which resuming relies on): the status shows these figures between slice ends.
 *
 * @param phase what the slice is doing: waiting for worker 0's warm start, or training
 * @param slice the number of the slice reporting
 * @param epochs epochs completed, with the current one's fraction
 * @param samples samples trained by the worker so far, this slice's included
 * @param samplesPerSecond this slice's throughput so far
 * @param millis when (epoch millis)
 * @param host the pod running the slice
 */
public record LiveProgress(Phase phase, int slice, double epochs, long samples, double samplesPerSecond,
    long millis, String host) {
  /** What a running slice is doing. */
  public enum Phase {
    /** Waiting for worker 0 to train the warm start's samples alone (Dean et al.). */
    WARM_START,
    /** Training. */
    TRAINING
  }

  public String toJson() {
    return StoredJson.write(this);
  }

  public static LiveProgress fromJson(String json) {
    return StoredJson.read(json, LiveProgress.class);
  }
}
