package dev.emnistfaas.ps;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a closed round of parameter averaging does with the k contributions it got (each the gradient a worker
 * accrued over its local steps): it hands the job's rule their sum divided by k^{@link #exponent}.
 */
public enum RoundUpdate {
  /** The sum over k: with SGD at the workers' rate the new parameters are the mean of the workers' local ones. */
  MEAN(1.0),
  /** The sum over √k: the mean's step made √k times longer, as a larger batch's learning rate often is. */
  SQRT(0.5),
  /** The sum: every contribution applied in full, synchronous Downpour without staleness. */
  SUM(0.0);

  /** The power of the contributions' count that divides their sum. */
  public final double exponent;

  RoundUpdate(double exponent) {
    this.exponent = exponent;
  }

  /** What the sum of {@code contributions} contributions is multiplied by. */
  public float factor(long contributions) {
    return (float) Math.pow(contributions, -exponent);
  }

  /** The name in a config: "mean", "sqrt" or "sum". */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RoundUpdate parse(String s) {
    for (RoundUpdate u : values()) {
      if (u.configName().equals(s)) {
        return u;
      }
    }
    throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(RoundUpdate::configName)
        .collect(Collectors.joining(", ")) + ", got '" + s + "'");
  }
}
