package dev.emnistfaas.ps;

import java.nio.ByteBuffer;

/**
 * The number formats of a sparse job's keys, chosen so that Redis can add to them in place ({@code BITFIELD
 * INCRBY}, which stores integers big-endian): a parameter is a signed 32-bit count of 2^-24 (range ±128,
 * resolution 6e-8, saturating), an Adagrad accumulator a signed 64-bit count of 2^-48 (range ±32,768, saturating;
 * a squared gradient of 1e-12 still counts 281 units: with 2^-40, an entry whose gradients were about 3e-6 ended
 * three Adagrad steps 2e-5 away from the rule's value).
 */
final class FixedPoint {
  private FixedPoint() {}

  static final double PARAMETER_UNIT = 0x1p-24;
  static final double ACCUMULATOR_UNIT = 0x1p-48;

  /** A parameter increment in units, rounded to nearest and saturated to the 32-bit range. */
  static long parameterUnits(double value) {
    return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round(value / PARAMETER_UNIT)));
  }

  /** An accumulator increment in units, rounded to nearest (Math.round saturates at the 64-bit range). */
  static long accumulatorUnits(double value) {
    return Math.round(value / ACCUMULATOR_UNIT);
  }

  /** {@code values[from..from+count)} as the stored parameters of a sparse job. */
  static byte[] encodeParameters(float[] values, int from, int count) {
    ByteBuffer out = ByteBuffer.allocate(count * Integer.BYTES);
    for (int i = 0; i < count; i++) {
      out.putInt((int) parameterUnits(values[from + i]));
    }
    return out.array();
  }

  /** Decodes stored parameters, which must hold exactly {@code count} of them, into {@code out[from..]}. */
  static void decodeParameters(byte[] bytes, float[] out, int from, int count) {
    LittleEndianFloats.requireFloats(bytes, count);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    for (int i = 0; i < count; i++) {
      out[from + i] = (float) (in.getInt() * PARAMETER_UNIT);
    }
  }
}
