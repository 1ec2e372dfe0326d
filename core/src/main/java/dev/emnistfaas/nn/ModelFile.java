package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabelMapping;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A trained network on disk ({@code model.bin}), little-endian throughout:
 *
 * <pre>
 *   8 bytes   magic "EMNIST02"
 *   int32     inputs (784), hidden H, classes C
 *   C x int32 the character code of each label (-1 where the mapping has no such label)
 *   N x float32  the flat parameter vector: W1 (inputs x H, row-major, one row per input in
 *                {@link dev.emnistfaas.data.InputOrder}), b1 (H), W2 (H x C), b2 (C)
 * </pre>
 *
 * <p>Version 01 files held W1's rows in the stored pixel order; they are refused rather than misread.
 */
public record ModelFile(NetworkShape shape, int[] charCodes, float[] parameters) {
  private static final byte[] MAGIC = "EMNIST02".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] VERSION_01 = "EMNIST01".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  public ModelFile {
    if (charCodes.length != shape.classes() || parameters.length != shape.size()) {
      throw new IllegalArgumentException("model of " + shape + " needs " + shape.classes() + " labels and "
          + shape.size() + " parameters, got " + charCodes.length + " and " + parameters.length);
    }
  }

  public static ModelFile of(ParameterVector params, LabelMapping mapping) {
    return new ModelFile(params.shape(), mapping.firstCodes(), params.toArray());
  }

  /** Writes the file atomically: a reader never sees half of it. */
  public void write(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 12 + 4 * charCodes.length + 4 * parameters.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(shape.inputs()).putInt(shape.hidden()).putInt(shape.classes());
    for (int c : charCodes) {
      b.putInt(c);
    }
    b.asFloatBuffer().put(parameters);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, b.array());
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  public static ModelFile read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[MAGIC.length];
    if (b.remaining() < MAGIC.length + 12) {
      throw new IOException(file + ": not an emnist-faas model (shorter than its header)");
    }
    b.get(magic);
    if (java.util.Arrays.equals(magic, VERSION_01)) {
      throw new IOException(file + ": an EMNIST01 model, whose first-layer rows are in an input order this "
          + "version no longer uses; train it again");
    }
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new IOException(file + ": not an emnist-faas model (no EMNIST02 header)");
    }
    NetworkShape shape = new NetworkShape(b.getInt(), b.getInt(), b.getInt());
    long expected = 4L * shape.classes() + 4L * shape.size();
    if (b.remaining() != expected) {
      throw new IOException(file + ": network " + shape + " needs " + expected + " more bytes, file has "
          + b.remaining());
    }
    int[] codes = new int[shape.classes()];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = b.getInt();
    }
    float[] params = new float[shape.size()];
    b.asFloatBuffer().get(params);
    return new ModelFile(shape, codes, params);
  }

  public ParameterVector toParameters() {
    ParameterVector p = ParameterVector.zeros(shape);
    p.set(parameters);
    return p;
  }
}
