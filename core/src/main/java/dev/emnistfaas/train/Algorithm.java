package dev.emnistfaas.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the workers of a job combine what they learn. */
public enum Algorithm {
  /**
   * Downpour SGD (Dean et al. 2012): each worker pushes its accrued gradient every nPush steps and fetches the
   * global parameters every nFetch steps; the store applies every push at once, so workers train on stale
   * parameters.
   */
  DOWNPOUR,
  /**
   * Parameter averaging (local SGD): in each round every running worker trains localSteps steps from the global
   * parameters and contributes what it learned; the round's mean becomes the global parameters. No staleness
   * within a round; one vector per worker per round.
   */
  AVERAGE;

  /** The name in a config: "downpour" or "average". */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Algorithm parse(String s) {
    for (Algorithm a : values()) {
      if (a.configName().equals(s)) {
        return a;
      }
    }
    throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(Algorithm::configName)
        .collect(Collectors.joining(", ")) + ", got '" + s + "'");
  }
}
