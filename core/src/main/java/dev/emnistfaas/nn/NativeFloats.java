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
  private final int length;

  NativeFloats(int length) {
    this.length = Math.max(1, length);
    this.pointer = new FloatPointer(this.length);
    org.bytedeco.javacpp.Pointer.memset(pointer, 0, (long) this.length * Float.BYTES);
    this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
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
