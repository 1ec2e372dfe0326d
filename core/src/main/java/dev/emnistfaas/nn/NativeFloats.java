package dev.emnistfaas.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A float array off the heap: one allocation seen both as a pointer that BLAS takes and as a native-order byte
 * buffer that the vector kernels read and write (float {@code i} at byte {@code 4i}).
 */
final class NativeFloats {
  private final FloatPointer pointer;
  private final ByteBuffer bytes;
  /** A second pointer to the same memory, moved to the offset of each bulk copy (one thread uses a pass). */
  private final FloatPointer transfer;
  private final int length;

  NativeFloats(int length) {
    this.length = Math.max(1, length);
    this.pointer = new FloatPointer(this.length);
    org.bytedeco.javacpp.Pointer.memset(pointer, 0, (long) this.length * Float.BYTES);
    this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
    this.transfer = new FloatPointer(pointer);
  }

  /**
   * Copies {@code length} floats from float {@code offset} into {@code dst[at..]}: one memcpy through JavaCPP,
   * which allocates nothing (a direct FloatBuffer's bulk get did, about 30 bytes a call).
   */
  void read(long offset, float[] dst, int at, int length) {
    transfer.position(offset).get(dst, at, length);
  }

  /** Copies {@code src[at .. at+length)} to floats {@code offset ..}; see {@link #read}. */
  void write(long offset, float[] src, int at, int length) {
    transfer.position(offset).put(src, at, length);
  }

  FloatPointer pointer() {
    return pointer;
  }

  /** A pointer to float {@code offset}, made once when a pass is built (making one allocates). */
  FloatPointer at(long offset) {
    if (offset < 0 || offset > length) {
      throw new IndexOutOfBoundsException(offset + " in " + length + " floats");
    }
    return new FloatPointer(pointer).position(offset);
  }

  ByteBuffer bytes() {
    return bytes;
  }

  int length() {
    return length;
  }
}
