package dev.emnistfaas.data;

import java.nio.file.Path;

/** A data file that is missing or malformed; the message always names the file and the problem. */
public final class EmnistFormatException extends RuntimeException {
  private final Path file;

  public EmnistFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public EmnistFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  public Path file() {
    return file;
  }
}
