package dev.emnistfaas.train;

/**
 * Why a job was stopped, as the stop flag's one record (JSON): the first reason raised stays.
 *
 * @param reason what stopped it
 * @param seconds when, since the job was created (for the target: the time of the parameters that reached it)
 * @param accuracy the accuracy that reached the target (0 otherwise)
 * @param error what failed, for {@link Reason#FAILED} (null otherwise)
 */
public record JobStop(Reason reason, double seconds, double accuracy, String error) {
  /** What stops a job before its epochs are used up. */
  public enum Reason {
    /** An evaluation reached the target accuracy. */
    TARGET,
    /** A user cancelled it. */
    CANCELLED,
    /** A slice failed for good (see {@link JobStop#error}). */
    FAILED
  }

  public static JobStop target(double seconds, double accuracy) {
    return new JobStop(Reason.TARGET, seconds, accuracy, null);
  }

  public static JobStop cancelled(double seconds) {
    return new JobStop(Reason.CANCELLED, seconds, 0, null);
  }

  public static JobStop failed(double seconds, String error) {
    return new JobStop(Reason.FAILED, seconds, 0, error);
  }

  public String toJson() {
    return StoredJson.write(this);
  }

  public static JobStop fromJson(String json) {
    return StoredJson.read(json, JobStop.class);
  }
}
