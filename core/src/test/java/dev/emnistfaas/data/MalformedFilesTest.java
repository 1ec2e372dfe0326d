package dev.emnistfaas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crafted bad files: each error names the file and the problem. */
class MalformedFilesTest {
  @TempDir Path dir;

  private static final String IMAGES = "emnist-digits-test-images-idx3-ubyte.gz";
  private static final String LABELS = "emnist-digits-test-labels-idx1-ubyte.gz";
  private static final String MAPPING = "emnist-digits-mapping.txt";

  /** A valid digits test set of {@code n} images, written into {@link #dir}. */
  private void writeValid(int n) throws IOException {
    writeIdx(IMAGES, 0x00000803, new int[] {n, 28, 28}, new byte[n * 784], true);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 10);
    }
    writeIdx(LABELS, 0x00000801, new int[] {n}, labels, true);
    StringBuilder m = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      m.append(i).append(' ').append(48 + i).append('\n');
    }
    Files.writeString(dir.resolve(MAPPING), m);
  }

  private void writeIdx(String name, int magic, int[] dims, byte[] data, boolean gzip) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(raw);
    out.writeInt(magic);
    for (int d : dims) {
      out.writeInt(d);
    }
    out.write(data);
    out.flush();
    byte[] bytes = raw.toByteArray();
    if (gzip) {
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (OutputStream g = new GZIPOutputStream(gz)) {
        g.write(bytes);
      }
      bytes = gz.toByteArray();
    }
    Files.write(dir.resolve(name), bytes);
  }

  private EmnistFormatException loadFails() {
    return assertThrows(EmnistFormatException.class, () -> EmnistDataset.load(EmnistDataset.Source.of(dir)));
  }

  @Test
  void validFilesLoadAndAreSplit() throws IOException {
    writeValid(50);
    EmnistDataset d = EmnistDataset.load(EmnistDataset.Source.of(dir));
    assertEquals(45, d.train().size());
    assertEquals(5, d.eval().size());
    assertEquals(10, d.train().classes());
  }

  @Test
  void plainUncompressedFilesLoadToo() throws IOException {
    writeValid(20);
    Files.delete(dir.resolve(IMAGES));
    writeIdx(IMAGES.replace(".gz", ""), 0x00000803, new int[] {20, 28, 28}, new byte[20 * 784], false);
    assertEquals(18, EmnistDataset.load(EmnistDataset.Source.of(dir)).train().size());
  }

  @Test
  void truncatedGzip() throws IOException {
    writeValid(40);
    Path images = dir.resolve(IMAGES);
    byte[] whole = Files.readAllBytes(images);
    Files.write(images, Arrays.copyOf(whole, whole.length / 2));
    EmnistFormatException e = loadFails();
    assertEquals(images, e.file());
    assertTrue(e.getMessage().startsWith(images.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void truncatedData() throws IOException {
    writeValid(40);
    writeIdx(IMAGES, 0x00000803, new int[] {40, 28, 28}, new byte[39 * 784], true);
    EmnistFormatException e = loadFails();
    assertTrue(e.getMessage().contains(IMAGES), e.getMessage());
    assertTrue(e.getMessage().contains("declares 31360 data bytes, file holds 30576"), e.getMessage());
  }

  @Test
  void wrongMagicNumber() throws IOException {
    writeValid(10);
    writeIdx(LABELS, 0x00000803, new int[] {10}, new byte[10], true);
    EmnistFormatException e = loadFails();
    assertTrue(e.getMessage().contains(LABELS), e.getMessage());
    assertTrue(e.getMessage().contains("bad magic number 0x00000803, expected 0x00000801"), e.getMessage());
  }

  @Test
  void imageAndLabelCountsDiffer() throws IOException {
    writeValid(10);
    writeIdx(LABELS, 0x00000801, new int[] {9}, new byte[9], true);
    EmnistFormatException e = loadFails();
    assertTrue(e.getMessage().contains(LABELS), e.getMessage());
    assertTrue(e.getMessage().contains("holds 9 labels but images file " + IMAGES + " holds 10 images"),
        e.getMessage());
  }

  @Test
  void imagesNotTwentyEightSquare() throws IOException {
    writeValid(10);
    writeIdx(IMAGES, 0x00000803, new int[] {10, 32, 32}, new byte[10 * 32 * 32], true);
    EmnistFormatException e = loadFails();
    assertTrue(e.getMessage().contains(IMAGES), e.getMessage());
    assertTrue(e.getMessage().contains("images are 32x32, expected 28x28"), e.getMessage());
  }

  @Test
  void labelOutsideTheMapping() throws IOException {
    writeValid(10);
    byte[] labels = new byte[10];
    labels[7] = 12;
    writeIdx(LABELS, 0x00000801, new int[] {10}, labels, true);
    EmnistFormatException e = loadFails();
    assertTrue(e.getMessage().contains(LABELS), e.getMessage());
    assertTrue(e.getMessage().contains("label 12 at index 7 is not in " + MAPPING), e.getMessage());
  }

  @Test
  void missingLabelsFile() throws IOException {
    writeValid(10);
    Files.delete(dir.resolve(LABELS));
    EmnistFormatException e = loadFails();
    assertEquals(dir.resolve(LABELS), e.file());
    assertTrue(e.getMessage().contains("file not found, though its images file " + IMAGES + " is present"),
        e.getMessage());
  }

  @Test
  void missingMappingFile() throws IOException {
    writeValid(10);
    Files.delete(dir.resolve(MAPPING));
    EmnistFormatException e = loadFails();
    assertEquals(dir.resolve(MAPPING), e.file());
    assertTrue(e.getMessage().endsWith("file not found"), e.getMessage());
  }

  @Test
  void emptyDirectoryAndMissingDirectory() {
    EmnistFormatException empty = loadFails();
    assertTrue(empty.getMessage().contains("no EMNIST files"), empty.getMessage());
    Path none = dir.resolve("nowhere");
    EmnistFormatException missing = assertThrows(EmnistFormatException.class,
        () -> EmnistDataset.load(EmnistDataset.Source.of(none)));
    assertEquals(none + ": data directory not found", missing.getMessage());
  }

  @Test
  void lettersMappingWithTwoCodesStartingAtOne() throws IOException {
    Path mapping = dir.resolve("emnist-letters-mapping.txt");
    Files.writeString(mapping, "1 65 97\n2 66 98\n");
    LabelMapping m = LabelMapping.read(mapping);
    assertEquals(3, m.classes());
    assertEquals(2, m.labelCount());
    assertEquals("Aa", m.character(1));
    assertTrue(!m.contains(0));
  }
}
