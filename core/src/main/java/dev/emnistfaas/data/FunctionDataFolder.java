package dev.emnistfaas.data;

import dev.emnistfaas.data.EmnistSplit.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The EMNIST files a function image carries, put into its handler's {@code data/} folder (which the template's
 * Dockerfile copies into the image). Each file NIST publishes is checked against the sha256 table, the split is
 * read once to prove it whole (counts, labels, mapping), and a {@value #SUMS} list of what was put there is written
 * beside the files: the image build checks it before anything else (the template's {@code build.sh data}), so a
 * missing or changed file fails the build in seconds with a message, instead of late or not at all.
 *
 * <p>The folder is replaced as a whole, or left as it was when any check fails.
 */
public final class FunctionDataFolder {
  /** The list the image build checks, in sha256sum's format ("digest  name"). */
  public static final String SUMS = "SHA256SUMS";

  /** What a function reads. */
  public enum Contents {
    /** emnist-train: the images, their labels and the label mapping. */
    TRAINING_FILES,
    /** emnist-setup and emnist-predict: the label mapping alone (the number of classes, the characters). */
    MAPPING
  }

  /** One file put into the folder. */
  public record Placed(String name, long bytes, String sha256, boolean inOfficialTable) {}

  private FunctionDataFolder() {}

  /**
   * Replaces {@code folder} with {@code split}'s files from {@code source} that {@code contents} names, checked;
   * what was placed. Throws {@link EmnistFormatException} (naming the file) when a file is missing, unreadable
   * or differs from NIST's, and leaves {@code folder} untouched then.
   */
  public static List<Placed> fill(Path source, EmnistSplit split, Contents contents, Path folder,
      ChecksumTable table) throws IOException {
    return fill(source, split, contents, folder, table, Map.of());
  }

  /**
   * As {@link #fill(Path, EmnistSplit, Contents, Path, ChecksumTable)}, with {@code extras} placed and listed too
   * under their given names (the caller has checked them; e.g. trained models for emnist-predict).
   */
  public static List<Placed> fill(Path source, EmnistSplit split, Contents contents, Path folder,
      ChecksumTable table, Map<String, Path> extras) throws IOException {
    if (!Files.isDirectory(source)) {
      throw new EmnistFormatException(source, "data directory not found");
    }
    List<Path> files = filesToPlace(source, split, contents);
    Path parent = folder.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging = Files.createTempDirectory(parent, folder.getFileName() + ".new-");
    try {
      List<Placed> placed = new ArrayList<>();
      for (Path f : files) {
        placed.add(place(f, staging, table));
      }
      for (Map.Entry<String, Path> extra : new TreeMap<>(extras).entrySet()) {
        placed.add(placeAs(extra.getValue(), staging, extra.getKey()));
      }
      prove(staging, split, contents);
      StringBuilder sums = new StringBuilder();
      placed.forEach(p -> sums.append(p.sha256()).append("  ").append(p.name()).append('\n'));
      Files.writeString(staging.resolve(SUMS), sums, StandardCharsets.UTF_8);
      replace(folder, staging);
      return List.copyOf(placed);
    } finally {
      deleteTree(staging);
    }
  }

  /** The files of {@code split} in {@code source} that {@code contents} needs, gzipped or plain as found. */
  private static List<Path> filesToPlace(Path source, EmnistSplit split, Contents contents) {
    List<Path> files = new ArrayList<>();
    Path mapping = source.resolve(split.mappingFile());
    if (!Files.isRegularFile(mapping)) {
      throw new EmnistFormatException(mapping, "file not found");
    }
    files.add(mapping);
    if (contents == Contents.MAPPING) {
      return files;
    }
    for (Part part : Part.values()) {
      Optional<Path> images = EmnistDataset.find(source, split.imagesFile(part));
      Optional<Path> labels = EmnistDataset.find(source, split.labelsFile(part));
      if (images.isPresent() != labels.isPresent()) {
        String missing = images.isPresent() ? split.labelsFile(part) : split.imagesFile(part);
        throw new EmnistFormatException(source.resolve(missing), "file not found, though its "
            + (images.isPresent() ? "images" : "labels") + " file is present");
      }
      images.ifPresent(files::add);
      labels.ifPresent(files::add);
    }
    if (files.size() == 1) {
      throw new EmnistFormatException(source.resolve(split.imagesFile(Part.TEST)), "file not found (nor "
          + split.imagesFile(Part.TRAIN) + "): emnist-train's image needs " + split.id() + "'s images and labels");
    }
    return files;
  }

  /** Copies {@code file} into {@code staging} as {@code name}, hashing it. */
  private static Placed placeAs(Path file, Path staging, String name) throws IOException {
    String sha;
    try (InputStream in = Files.newInputStream(file)) {
      sha = Sha256.copy(in, staging.resolve(name));
    }
    return new Placed(name, Files.size(staging.resolve(name)), sha, false);
  }

  /** Copies {@code file} into {@code staging}, hashing it; a file NIST publishes must match the table. */
  private static Placed place(Path file, Path staging, ChecksumTable table) throws IOException {
    String name = file.getFileName().toString();
    Placed copied = placeAs(file, staging, name);
    String sha = copied.sha256();
    long bytes = copied.bytes();
    Optional<ChecksumTable.Entry> official = table.get(name);
    if (official.isPresent() && !(official.get().sha256().equals(sha) && official.get().size() == bytes)) {
      throw new EmnistFormatException(file, "differs from NIST's file: sha256 " + sha + " (" + bytes
          + " bytes), expected " + official.get().sha256() + " (" + official.get().size() + " bytes)");
    }
    return new Placed(name, bytes, sha, official.isPresent());
  }

  /** Reads what was staged as the function will, so a file that is not NIST's (unzipped, no digest) is checked too. */
  private static void prove(Path staging, EmnistSplit split, Contents contents) {
    if (contents == Contents.MAPPING) {
      LabelMapping.read(staging.resolve(split.mappingFile()));
    } else {
      EmnistDataset.load(EmnistDataset.Source.of(staging).withSplit(split));
    }
  }

  /** Puts {@code staging}'s files in place of {@code folder}'s, keeping the old folder until the new one is there. */
  private static void replace(Path folder, Path staging) throws IOException {
    Path result = Files.createTempDirectory(folder.toAbsolutePath().getParent(), folder.getFileName() + ".placing-");
    try {
      // A temporary folder is private (rwx------); the image's unprivileged user must be able to read this one.
      if (Files.getFileStore(result).supportsFileAttributeView("posix")) {
        Files.setPosixFilePermissions(result, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      try (Stream<Path> s = Files.list(staging)) {
        for (Path f : s.toList()) {
          Files.move(f, result.resolve(f.getFileName()));
        }
      }
      Path old = result.resolveSibling(folder.getFileName() + ".old-" + ProcessHandle.current().pid());
      if (Files.exists(folder)) {
        Files.move(folder, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(result, folder, StandardCopyOption.ATOMIC_MOVE);
      deleteTree(old);
    } finally {
      deleteTree(result);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot delete " + p, e);
        }
      });
    }
  }
}
