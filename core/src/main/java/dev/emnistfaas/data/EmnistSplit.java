package dev.emnistfaas.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The official EMNIST splits and their file names. */
public enum EmnistSplit {
  BYCLASS, BYMERGE, BALANCED, LETTERS, DIGITS, MNIST;

  private static final Pattern FILE = Pattern.compile(
      "emnist-([a-z]+)-(?:mapping\\.txt|(?:train|test)-(?:images-idx3|labels-idx1)-ubyte(?:\\.gz)?)");

  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static EmnistSplit parse(String id) {
    for (EmnistSplit s : values()) {
      if (s.id().equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown EMNIST split '" + id + "'; expected one of " + ids());
  }

  public static List<String> ids() {
    return Stream.of(values()).map(EmnistSplit::id).toList();
  }

  /** {@code emnist-<split>-<part>-images-idx3-ubyte.gz}, the name NIST's archive uses. */
  public String imagesFile(Part part) {
    return "emnist-" + id() + "-" + part.id() + "-images-idx3-ubyte.gz";
  }

  public String labelsFile(Part part) {
    return "emnist-" + id() + "-" + part.id() + "-labels-idx1-ubyte.gz";
  }

  public String mappingFile() {
    return "emnist-" + id() + "-mapping.txt";
  }

  /** The splits that have at least one file in {@code dir}. */
  public static TreeSet<EmnistSplit> presentIn(Path dir) {
    TreeSet<EmnistSplit> found = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> {
        Matcher m = FILE.matcher(f.getFileName().toString());
        if (m.matches()) {
          for (EmnistSplit s : values()) {
            if (s.id().equals(m.group(1))) {
              found.add(s);
            }
          }
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    return found;
  }

  /** The two file sets of a split. */
  public enum Part {
    TRAIN, TEST;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
