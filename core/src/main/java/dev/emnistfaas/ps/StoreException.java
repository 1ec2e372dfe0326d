package dev.emnistfaas.ps;

/** A parameter-store failure; the subclasses say which kind, so callers can react differently. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Redis could not be reached within the retry budget. */
  public static final class Unavailable extends StoreException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Redis refused the credentials; retrying cannot help. */
  public static final class Authentication extends StoreException {
    public Authentication(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The job's keys do not exist: never created, deleted, expired, or lost with Redis's data. */
  public static final class NoSuchJob extends StoreException {
    public NoSuchJob(String job) {
      super("no such job '" + job + "' in the parameter store", null);
    }
  }
}
