package dev.emnistfaas.train;

/** Where a job is in its life, as its status reports it. */
public enum JobState {
  /** Its workers are training. */
  RUNNING,
  /** Its stop flag is up (target, cancel); the workers finish at their next push or slice. */
  STOPPING,
  /** Every worker finished. */
  DONE,
  /** A slice failed for good; the status names the error. */
  FAILED
}
