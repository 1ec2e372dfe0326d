package dev.emnistfaas.ps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float32 ↔ little-endian bytes, the store's value format (the flat parameter vector's, shard by shard). */
public final class LittleEndianFloats {
  private LittleEndianFloats() {}

  public static byte[] encode(float[] values, int from, int count) {
    byte[] out = new byte[count * Float.BYTES];
    encode(values, from, count, out);
    return out;
  }

  /** Encodes {@code values[from..from+count)} into the first {@code count * 4} bytes of {@code out}. */
  public static void encode(float[] values, int from, int count, byte[] out) {
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, from, count);
  }

  /** Decodes {@code bytes}, which must hold exactly {@code count} floats, into {@code out[from..]}. */
  public static void decode(byte[] bytes, float[] out, int from, int count) {
    requireFloats(bytes, count);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, from, count);
  }

  /** Fails unless a stored value holds exactly {@code count} floats (a value from another job or a corrupt one). */
  static void requireFloats(byte[] bytes, int count) {
    if (bytes.length != count * Float.BYTES) {
      throw new IllegalStateException("stored value has " + bytes.length + " bytes, expected " + count * Float.BYTES);
    }
  }
}
