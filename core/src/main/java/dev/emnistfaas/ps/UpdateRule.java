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

  /**
   * Applies {@code gradient[gradientFrom..gradientFrom+n)} to {@code values[valuesFrom..valuesFrom+n)} (and, for
   * Adagrad, to {@code accumulators[0..n)}).
   */
  public void apply(float[] values, int valuesFrom, float[] gradient, int gradientFrom, int n, float[] accumulators) {
    if (kind == Kind.ADAGRAD) {
      Adagrad.step(learningRate, values, valuesFrom, gradient, gradientFrom, n, accumulators);
      return;
    }
    for (int i = 0; i < n; i++) {
      values[valuesFrom + i] -= learningRate * gradient[gradientFrom + i];
    }
  }
}
