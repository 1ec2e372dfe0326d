package dev.emnistfaas.ps;

import dev.emnistfaas.optim.Adagrad;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Locale;

/** How the store turns a pushed gradient into new parameters. */
public record UpdateRule(Kind kind, float learningRate) {
  public enum Kind {
    /** w ← w − lr·g */
    SGD,
    /** Dean et al.'s Adagrad, with the per-parameter accumulators kept in the store. */
    ADAGRAD;

    public static Kind parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT));
    }
  }

  public UpdateRule {
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw new IllegalArgumentException("store learning rate must be > 0, got " + learningRate);
    }
  }

  boolean needsAccumulators() {
    return kind == Kind.ADAGRAD;
  }

  /**
   * SGD in one pass over the stored bytes: the new little-endian values of {@code stored} after
   * {@code gradient[from..from+n)}, without decoding into an intermediate array.
   */
  byte[] sgdStep(byte[] stored, float[] gradient, int from, int n) {
    LittleEndianFloats.requireFloats(stored, n);
    byte[] out = new byte[stored.length];
    for (int i = 0; i < n; i++) {
      float v = (float) FLOAT_LE.get(stored, i * Float.BYTES);
      FLOAT_LE.set(out, i * Float.BYTES, v - learningRate * gradient[from + i]);
    }
    return out;
  }

  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  /** Applies {@code gradient[from..from+n)} to {@code values[0..n)} and {@code accumulators} (Adagrad). */
  void adagradStep(float[] values, float[] gradient, int from, int n, float[] accumulators) {
    Adagrad.step(learningRate, values, gradient, from, n, accumulators);
  }
}
