package dev.emnistfaas.cli;

/** Where the data is when none was named, and what to tell a user who has none. */
final class DataHelp {
  /** Where {@code emnist data download} puts bymerge by default. */
  static final java.nio.file.Path DEFAULT_DIR = java.nio.file.Path.of("data", "emnist-bymerge");

  private DataHelp() {}

  /** The bymerge files downloaded earlier, or downloaded now (with a message); empty when that fails. */
  static java.util.Optional<java.nio.file.Path> downloadedOrFetched() {
    if (java.nio.file.Files.isDirectory(DEFAULT_DIR)
        && !dev.emnistfaas.data.EmnistSplit.presentIn(DEFAULT_DIR).isEmpty()) {
      return java.util.Optional.of(DEFAULT_DIR);
    }
    System.out.println("no EMNIST data given (--data DIR or EMNIST_DIR): downloading NIST's archive (about 536 MB) "
        + "and installing bymerge into " + DEFAULT_DIR);
    try {
      java.nio.file.Files.createDirectories(DEFAULT_DIR);
      new dev.emnistfaas.data.ArchiveDownload(dev.emnistfaas.data.ArchiveDownload.NIST_ARCHIVE,
          dev.emnistfaas.data.ChecksumTable.official(), System.out).install(dev.emnistfaas.data.EmnistSplit.BYMERGE,
          DEFAULT_DIR);
      return java.util.Optional.of(DEFAULT_DIR);
    } catch (java.io.IOException | RuntimeException e) {
      // The cause by name too: an unreachable host (java.net.ConnectException) has no message of its own.
      System.err.println("download failed (" + dev.emnistfaas.data.ArchiveDownload.NIST_ARCHIVE + "): " + e);
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** True, after saying on stderr what to put where, when {@code dir} is blank or not a directory. */
  static boolean reportIfMissing(String dir) {
    if (!dir.isBlank() && java.nio.file.Files.isDirectory(java.nio.file.Path.of(dir))) {
      return false;
    }
    System.err.println("error: " + missing(dir));
    return true;
  }

  static String missing(String dir) {
    return (dir.isBlank() ? "no EMNIST data directory given (--data DIR or EMNIST_DIR)"
        : "EMNIST data directory not found: " + dir) + "\n"
        + "Put NIST's official files in one directory, for example data/emnist-bymerge/:\n"
        + "  emnist-bymerge-mapping.txt\n"
        + "  emnist-bymerge-test-images-idx3-ubyte.gz and emnist-bymerge-test-labels-idx1-ubyte.gz\n"
        + "  (and/or the -train- pair), from the gzip/ folder of NIST's EMNIST archive (gzip.zip),\n"
        + "then run with --data data/emnist-bymerge. the project's EMNIST-SHA256.txt lists each file's sha256.";
  }
}
