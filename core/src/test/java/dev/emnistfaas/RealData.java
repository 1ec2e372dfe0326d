package dev.emnistfaas;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.data.EmnistDataset;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real EMNIST files the tests run on: $EMNIST_DIR (the build points it at ../shared/datasets/emnist-bymerge). */
public final class RealData {
  private static EmnistDataset bymerge;

  private RealData() {}

  public static Path dir() {
    String dir = System.getenv("EMNIST_DIR");
    assertTrue(dir != null && !dir.isBlank(), "EMNIST_DIR is not set: point it at an EMNIST directory");
    Path p = Path.of(dir);
    assertTrue(Files.isDirectory(p), "EMNIST_DIR=" + dir + " is not a directory");
    return p;
  }

  /** Loaded once per test JVM: reading 116k images takes about a second. */
  public static synchronized EmnistDataset dataset() {
    if (bymerge == null) {
      bymerge = EmnistDataset.load(EmnistDataset.Source.of(dir()));
    }
    return bymerge;
  }
}
