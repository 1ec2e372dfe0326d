package dev.emnistfaas.optim;

import java.util.Locale;

/** Which optimiser and its constants. */
public record OptimizerSetting(Kind kind, double learningRate, double momentum) {
  public enum Kind {
    SGD, MOMENTUM, ADAGRAD;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind parse(String id) {
      for (Kind k : values()) {
        if (k.id().equalsIgnoreCase(id)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown optimizer '" + id + "'; expected sgd, momentum or adagrad");
    }
  }

  public OptimizerSetting {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
  }
}
