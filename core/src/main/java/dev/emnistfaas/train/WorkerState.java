package dev.emnistfaas.train;

/** Where a Downpour worker is in its life, as its saved record says. */
public enum WorkerState {
  /** Its next slice is queued or running. */
  RUNNING,
  /** Finished: target reached, epochs used up, or the job stopped. */
  DONE
}
