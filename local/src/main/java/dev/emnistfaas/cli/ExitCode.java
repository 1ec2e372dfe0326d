package dev.emnistfaas.cli;

/** What every {@code emnist} subcommand's exit status means; {@code emnist --help} lists them. */
enum ExitCode {
  /** Done; for a training run, the target was reached. */
  OK(0),
  /** A training run ended without reaching its target. */
  NOT_REACHED(1),
  /** A mistake of the user: an option, a config field, a data or model file. Nothing was started. */
  USAGE(2),
  /** A failure while running: Redis or the gateway unreachable, a bug. */
  RUNTIME(3),
  /** Stopped by Ctrl-C (the results so far are written). */
  INTERRUPTED(130);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  int code() {
    return code;
  }
}
