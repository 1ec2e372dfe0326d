package dev.emnistfaas.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One IDX file of unsigned bytes (the MNIST/EMNIST format), gzipped or plain: its dimensions and its data.
 * Reading checks the magic number, the number of dimensions and that the data is complete.
 */
public record IdxFile(Path path, int[] dims, byte[] data) {
  private static final int UNSIGNED_BYTE = 0x08;

  /** Reads a file whose dimension count must be {@code expectedRank} (3 for images, 1 for labels). */
  public static IdxFile read(Path path, int expectedRank) {
    try (InputStream raw = open(path);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      int magic;
      try {
        magic = in.readInt();
      } catch (EOFException e) {
        throw new EmnistFormatException(path, "file is empty or truncated before the header");
      }
      int expectedMagic = (UNSIGNED_BYTE << 8) | expectedRank;
      if (magic != expectedMagic) {
        throw new EmnistFormatException(path, String.format(
            "bad magic number 0x%08X, expected 0x%08X (unsigned bytes, %d dimension%s)",
            magic, expectedMagic, expectedRank, expectedRank == 1 ? "" : "s"));
      }
      int[] dims = new int[expectedRank];
      long size = 1;
      for (int d = 0; d < expectedRank; d++) {
        dims[d] = in.readInt();
        if (dims[d] < 0) {
          throw new EmnistFormatException(path, "negative dimension " + dims[d] + " in the header");
        }
        size *= dims[d];
      }
      if (size > Integer.MAX_VALUE - 8) {
        throw new EmnistFormatException(path, "header declares " + size + " bytes, too large for one array");
      }
      byte[] data = new byte[(int) size];
      int read = in.readNBytes(data, 0, data.length);
      if (read < data.length) {
        throw new EmnistFormatException(path, String.format(
            "truncated: header %s declares %d data bytes, file holds %d", Arrays.toString(dims), size, read));
      }
      if (in.read() != -1) {
        throw new EmnistFormatException(path, "trailing bytes after the " + size + " data bytes the header declares");
      }
      return new IdxFile(path, dims, data);
    } catch (NoSuchFileException e) {
      throw new EmnistFormatException(path, "file not found");
    } catch (EOFException e) {
      throw new EmnistFormatException(path, "truncated: the gzip stream ends early", e);
    } catch (ZipException e) {
      throw new EmnistFormatException(path, "corrupt gzip data (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new EmnistFormatException(path, "cannot read (" + e + ")", e);
    }
  }

  private static InputStream open(Path path) throws IOException {
    InputStream in = Files.newInputStream(path);
    if (path.getFileName().toString().endsWith(".gz")) {
      try {
        return new GZIPInputStream(in, 1 << 16);
      } catch (IOException e) {
        in.close();
        throw e;
      }
    }
    return in;
  }
}
