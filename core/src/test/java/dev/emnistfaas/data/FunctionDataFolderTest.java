package dev.emnistfaas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import dev.emnistfaas.data.FunctionDataFolder.Contents;
import dev.emnistfaas.data.FunctionDataFolder.Placed;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `emnist data bake` puts into a handler's data/ folder, from the real EMNIST files. */
class FunctionDataFolderTest {
  private static final String MAPPING = "emnist-bymerge-mapping.txt";
  private static final String IMAGES = "emnist-bymerge-test-images-idx3-ubyte.gz";
  private static final String LABELS = "emnist-bymerge-test-labels-idx1-ubyte.gz";
  private static final ChecksumTable TABLE = ChecksumTable.official();

  @TempDir
  Path tmp;

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void trainingFilesAreCopiedCheckedAndListedForTheImageBuild() throws Exception {
    Path folder = tmp.resolve("train-fn/data");
    List<Placed> placed = FunctionDataFolder.fill(RealData.dir(), EmnistSplit.BYMERGE, Contents.TRAINING_FILES,
        folder, TABLE);
    assertEquals(List.of(MAPPING, IMAGES, LABELS), placed.stream().map(Placed::name).toList());
    assertEquals(List.of(false, true, true), placed.stream().map(Placed::inOfficialTable).toList());
    assertEquals(List.of("SHA256SUMS", MAPPING, IMAGES, LABELS), names(folder));
    assertTrue(Arrays.equals(Files.readAllBytes(RealData.dir().resolve(IMAGES)), Files.readAllBytes(folder.resolve(IMAGES))));
    String sums = Files.readString(folder.resolve("SHA256SUMS"));
    assertTrue(sums.contains(TABLE.get(IMAGES).orElseThrow().sha256() + "  " + IMAGES + "\n"), sums);
    assertTrue(sums.contains(TABLE.get(LABELS).orElseThrow().sha256() + "  " + LABELS + "\n"), sums);
    assertEquals(3, sums.lines().count());
    // Readable by the image's unprivileged user; nothing left beside the folder.
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
    assertEquals(List.of("data"), names(folder.getParent()));

    Path setup = tmp.resolve("setup-fn/data");
    FunctionDataFolder.fill(RealData.dir(), EmnistSplit.BYMERGE, Contents.MAPPING, setup, TABLE);
    assertEquals(List.of("SHA256SUMS", MAPPING), names(setup));
  }

  @Test
  void aFileThatIsNotNistsLeavesTheFolderAsItWas() throws Exception {
    Path source = Files.createDirectories(tmp.resolve("source"));
    Files.copy(RealData.dir().resolve(MAPPING), source.resolve(MAPPING));
    Files.copy(RealData.dir().resolve(LABELS), source.resolve(LABELS));
    byte[] images = Files.readAllBytes(RealData.dir().resolve(IMAGES));
    images[images.length / 2] ^= 1;
    Files.write(source.resolve(IMAGES), images);
    Path folder = Files.createDirectories(tmp.resolve("train-fn/data"));
    Files.writeString(folder.resolve("earlier.txt"), "an earlier bake");

    EmnistFormatException e = assertThrows(EmnistFormatException.class, () -> FunctionDataFolder.fill(source,
        EmnistSplit.BYMERGE, Contents.TRAINING_FILES, folder, TABLE));
    assertTrue(e.getMessage().startsWith(source.resolve(IMAGES) + ": differs from NIST's file: sha256 "), e.getMessage());
    assertTrue(e.getMessage().endsWith("expected " + TABLE.get(IMAGES).orElseThrow().sha256() + " (28905295 bytes)"),
        e.getMessage());
    assertEquals(List.of("earlier.txt"), names(folder));
    assertEquals(List.of("data"), names(folder.getParent()));

    Files.delete(source.resolve(IMAGES));
    e = assertThrows(EmnistFormatException.class, () -> FunctionDataFolder.fill(source, EmnistSplit.BYMERGE,
        Contents.TRAINING_FILES, folder, TABLE));
    assertEquals(source.resolve(IMAGES) + ": file not found, though its labels file is present", e.getMessage());
    e = assertThrows(EmnistFormatException.class, () -> FunctionDataFolder.fill(source, EmnistSplit.MNIST,
        Contents.MAPPING, folder, TABLE));
    assertEquals(source.resolve("emnist-mnist-mapping.txt") + ": file not found", e.getMessage());
  }

  @Test
  void unzippedFilesHaveNoPublishedDigestSoTheyAreReadInFull() throws Exception {
    Path mnist = RealData.dir().resolveSibling("emnist-mnist");
    Path source = Files.createDirectories(tmp.resolve("source"));
    Files.copy(mnist.resolve("emnist-mnist-mapping.txt"), source.resolve("emnist-mnist-mapping.txt"));
    for (String kind : List.of("images-idx3", "labels-idx1")) {
      String gz = "emnist-mnist-test-" + kind + "-ubyte.gz";
      try (InputStream in = new GZIPInputStream(Files.newInputStream(mnist.resolve(gz)));
          OutputStream out = Files.newOutputStream(source.resolve(gz.replace(".gz", "")))) {
        in.transferTo(out);
      }
    }
    Path folder = tmp.resolve("data");
    List<Placed> placed = FunctionDataFolder.fill(source, EmnistSplit.MNIST, Contents.TRAINING_FILES, folder, TABLE);
    assertFalse(placed.stream().anyMatch(Placed::inOfficialTable));
    assertEquals(10_000, EmnistDataset.officialPart(folder, EmnistSplit.MNIST, EmnistSplit.Part.TEST).size());

    // An unzipped file cut short has no digest to differ from, but reading it finds the damage.
    Path images = source.resolve("emnist-mnist-test-images-idx3-ubyte");
    Files.write(images, Arrays.copyOf(Files.readAllBytes(images), 1000));
    EmnistFormatException e = assertThrows(EmnistFormatException.class, () -> FunctionDataFolder.fill(source,
        EmnistSplit.MNIST, Contents.TRAINING_FILES, folder, TABLE));
    assertTrue(e.getMessage().contains("emnist-mnist-test-images-idx3-ubyte"), e.getMessage());
    assertEquals(10_000, EmnistDataset.officialPart(folder, EmnistSplit.MNIST, EmnistSplit.Part.TEST).size());
  }
}
