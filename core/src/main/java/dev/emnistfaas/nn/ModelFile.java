package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabelMapping;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A trained network on disk ({@code model.bin}), little-endian throughout:
 *
 * <pre>
 *   8 bytes   magic "EMNIST03"
 *   int32     classes C, then the length L of the network's name
 *   L bytes   the network's name in ASCII ({@link Network#name}: "mlp100", "c16k3-p2-c32k3-p2-f128")
 *   C x int32 the character code of each label (-1 where the mapping has no such label)
 *   N x float32  the flat parameter vector in the network's layout (for the MLP: W1 (784 x H, row-major, one
 *                row per input in {@link dev.emnistfaas.data.InputOrder}), b1 (H), W2 (H x C), b2 (C))
 * </pre>
 *
 * <p>Version 02 files (the MLP only: int32 inputs, hidden, classes in place of the name) are still read. Version 01
 * files held W1's rows in the stored pixel order; they are refused rather than misread.
 */
public record ModelFile(Network network, int[] charCodes, float[] parameters) {
  private static final byte[] MAGIC = "EMNIST03".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VERSION_02 = "EMNIST02".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VERSION_01 = "EMNIST01".getBytes(StandardCharsets.US_ASCII);

  public ModelFile {
    if (charCodes.length != network.classes() || parameters.length != network.size()) {
      throw new IllegalArgumentException("model of " + network.name() + " needs " + network.classes()
          + " labels and " + network.size() + " parameters, got " + charCodes.length + " and " + parameters.length);
    }
  }

  public static ModelFile of(ParameterVector params, LabelMapping mapping) {
    return new ModelFile(params.network(), mapping.firstCodes(), params.toArray());
  }

  /** Writes the file atomically: a reader never sees half of it. */
  public void write(Path file) throws IOException {
    byte[] name = network.name().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 8 + name.length + 4 * charCodes.length
        + 4 * parameters.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(network.classes()).putInt(name.length).put(name);
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
    Network shape;
    try {
      if (java.util.Arrays.equals(magic, VERSION_02)) {
        shape = new MlpNetwork(b.getInt(), b.getInt(), b.getInt());
      } else if (java.util.Arrays.equals(magic, MAGIC)) {
        int classes = b.getInt();
        int length = b.getInt();
        if (length < 1 || length > 1000 || length > b.remaining()) {
          throw new IOException(file + ": a network name of " + length + " bytes");
        }
        byte[] name = new byte[length];
        b.get(name);
        shape = Network.parse(new String(name, StandardCharsets.US_ASCII), 1, classes);
      } else {
        throw new IOException(file + ": not an emnist-faas model (no EMNIST03 or EMNIST02 header)");
      }
    } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
      throw new IOException(file + ": unreadable header (" + e.getMessage() + ")", e);
    }
    long expected = 4L * shape.classes() + 4L * shape.size();
    if (b.remaining() != expected) {
      throw new IOException(file + ": network " + shape.name() + " needs " + expected + " more bytes, file has "
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
    ParameterVector p = ParameterVector.zeros(network);
    p.set(parameters);
    return p;
  }
}
