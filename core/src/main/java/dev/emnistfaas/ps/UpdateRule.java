package dev.emnistfaas.ps;

import dev.emnistfaas.optim.Adagrad;
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

  /** Applies {@code gradient[from..from+n)} to {@code values[0..n)} (and {@code accumulators}). */
  void apply(float[] values, float[] gradient, int from, int n, float[] accumulators) {
    if (kind == Kind.SGD) {
      for (int i = 0; i < n; i++) {
        values[i] -= learningRate * gradient[from + i];
      }
    } else {
      Adagrad.step(learningRate, values, gradient, from, n, accumulators);
    }
  }
}
