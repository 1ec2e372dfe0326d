package dev.emnistfaas.cli;

/** What to tell a user whose data directory is missing. */
final class DataHelp {
  private DataHelp() {}

  static String missing(String dir) {
    return (dir.isBlank() ? "no EMNIST data directory given (--data DIR or EMNIST_DIR)"
        : "EMNIST data directory not found: " + dir) + "\n"
        + "Put NIST's official files in one directory, for example data/emnist-bymerge/:\n"
        + "  emnist-bymerge-mapping.txt\n"
        + "  emnist-bymerge-test-images-idx3-ubyte.gz and emnist-bymerge-test-labels-idx1-ubyte.gz\n"
        + "  (and/or the -train- pair), from the gzip/ folder of NIST's EMNIST archive (gzip.zip),\n"
        + "then run with --data data/emnist-bymerge. data/EMNIST-SHA256.txt lists each file's sha256.";
  }
}
