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
 * The network reads them in its own {@link InputOrder} ({@link #copyScaled}); {@link #upright} gives the
 * character as a person reads it.
 */
public final class LabeledImages {
  public static final int SIDE = 28;
  public static final int PIXELS = SIDE * SIDE;

  private final byte[] pixels;
  private final byte[] labels;
  private final LabelMapping mapping;
  /** Written by {@link #copyScaled} only so that the JIT keeps its prefetching reads. */
  @SuppressWarnings("unused")
  private int prefetchSink;

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
   * Writes images {@code indices[from..from+count)} as floats in [0, 1] into {@code out} (native byte order,
   * from byte 0), 784 per image in the network's {@link InputOrder}: the per-batch conversion from bytes that
   * keeps the data set itself at one byte per pixel. {@code out} is typically the off-heap input matrix itself,
   * so there is no second copy.
   *
   * <p>Returns how many leading inputs may be non-zero: {@link InputOrder#INNER} when every ring pixel of these
   * images is blank, and then the ring's inputs in {@code out} are left as they were (a pass reads only the
   * first {@code INNER}); otherwise {@link #PIXELS}, with every input written.
   */
  public int copyScaled(int[] indices, int from, int count, ByteBuffer out) {
    if (out.order() != ByteOrder.nativeOrder()) {
      throw new IllegalArgumentException("the output buffer must be in native byte order");
    }
    // Small methods, one pass each: the JIT compiles each of them early (in a method still interpreted or in
    // the first compiler tier, vector operations are slow library calls), which shortens a fresh JVM's warm-up.
    touchCacheLines(indices, from, count);
    if (convertInnerSquares(indices, from, count, out) == 0) {
      return InputOrder.INNER;
    }
    convertRings(indices, from, count, out);
    return PIXELS;
  }

  /**
   * Writes images {@code indices[from..from+count)} as floats in [0, 1] into {@code out} (native byte order, from
   * byte 0), 784 per image in the stored layout, row by row as the file holds them: a convolutional network's
   * input, where neighbouring pixels must stay neighbours.
   */
  public void copyScaledStored(int[] indices, int from, int count, ByteBuffer out) {
    if (out.order() != ByteOrder.nativeOrder()) {
      throw new IllegalArgumentException("the output buffer must be in native byte order");
    }
    touchCacheLines(indices, from, count);
    for (int k = 0; k < count; k++) {
      convertRun(indices[from + k] * PIXELS, PIXELS, out, k * PIXELS * Float.BYTES);
    }
  }

  /**
   * Reads one byte of every cache line of the images, in a loop that does nothing else: the memory fetches of
   * the whole batch then overlap, where the conversion alone would wait for one image after another (measured
   * on shuffled bymerge batches of 128: a load takes 35 against 70 us).
   */
  private void touchCacheLines(int[] indices, int from, int count) {
    int touched = 0;
    for (int k = 0; k < count; k++) {
      int src = indices[from + k] * PIXELS;
      for (int p = 0; p < PIXELS; p += CACHE_LINE) {
        touched |= pixels[src + p];
      }
      touched |= pixels[src + PIXELS - 1];
    }
    prefetchSink = touched;
  }

  /** Converts each image's inner square; returns the bitwise or of all their ring pixels. */
  private int convertInnerSquares(int[] indices, int from, int count, ByteBuffer out) {
    int ring = 0;
    for (int k = 0; k < count; k++) {
      int src = indices[from + k] * PIXELS;
      int dst = k * PIXELS * Float.BYTES;
      ring |= ringRowsInk(src);
      for (int r = 1; r < SIDE - 1; r++) {
        int row = src + r * SIDE;
        ring |= pixels[row] | pixels[row + SIDE - 1];
        convertRun(row + 1, INNER_SIDE, out, dst + (r - 1) * INNER_SIDE * Float.BYTES);
      }
    }
    return ring;
  }

  /** Converts each image's ring into the inputs from {@link InputOrder#INNER} on. */
  private void convertRings(int[] indices, int from, int count, ByteBuffer out) {
    for (int k = 0; k < count; k++) {
      int src = indices[from + k] * PIXELS;
      int dst = k * PIXELS * Float.BYTES;
      // The ring's first and last rows are runs in the stored layout; its columns are not.
      convertRun(src, SIDE, out, dst + InputOrder.INNER * Float.BYTES);
      convertRun(src + PIXELS - SIDE, SIDE, out, dst + (InputOrder.INNER + SIDE) * Float.BYTES);
      int left = dst + (InputOrder.INNER + 2 * SIDE) * Float.BYTES;
      int right = left + INNER_SIDE * Float.BYTES;
      for (int r = 1; r < SIDE - 1; r++) {
        out.putFloat(left + (r - 1) * Float.BYTES, (pixels[src + r * SIDE] & 0xff) * (1f / 255f));
        out.putFloat(right + (r - 1) * Float.BYTES, (pixels[src + r * SIDE + SIDE - 1] & 0xff) * (1f / 255f));
      }
    }
  }

  /** The bitwise or of the pixels of the ring's first and last rows of the image at {@code src}. */
  private int ringRowsInk(int src) {
    ByteVector ink = ByteVector.zero(BYTES);
    for (int p = 0; p < SIDE; p += BYTES.length()) {
      int at = Math.min(p, SIDE - BYTES.length());
      ink = ink.or(ByteVector.fromArray(BYTES, pixels, src + at))
          .or(ByteVector.fromArray(BYTES, pixels, src + PIXELS - SIDE + at));
    }
    return ink.reduceLanes(VectorOperators.OR);
  }

  /**
   * Converts the {@code length} (at least one vector's) pixels from {@code pixels[src]} to floats at byte
   * {@code dst} of out. Where the length is not a whole number of vectors, the last vector overlaps the one
   * before it and writes the same values again.
   */
  private void convertRun(int src, int length, ByteBuffer out, int dst) {
    for (int p = 0; p < length; p += BYTES.length()) {
      int at = Math.min(p, length - BYTES.length());
      convert(src + at, out, dst + at * Float.BYTES);
    }
  }

  private void convert(int src, ByteBuffer out, int dst) {
    ByteVector.fromArray(BYTES, pixels, src)
        .convertShape(VectorOperators.B2I, INTS, 0)
        .lanewise(VectorOperators.AND, 0xff)
        .convertShape(VectorOperators.I2F, FLOATS, 0)
        .reinterpretAsFloats()
        .mul(1f / 255f)
        .intoByteBuffer(out, dst, ByteOrder.nativeOrder());
  }

  private static final int INNER_SIDE = SIDE - 2;
  private static final int CACHE_LINE = 64;

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
