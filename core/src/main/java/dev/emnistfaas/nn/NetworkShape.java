package dev.emnistfaas.nn;

/**
 * The MLP inputs → hidden (tanh) → classes (softmax) and where each layer lives in the flat parameter vector:
 * W1 (inputs×hidden, row-major), b1 (hidden), W2 (hidden×classes, row-major), b2 (classes), in that order.
 * The same layout is the parameter store's.
 */
public record NetworkShape(int inputs, int hidden, int classes) {
  public NetworkShape {
    if (inputs < 1 || hidden < 1 || classes < 2) {
      throw new IllegalArgumentException(
          "network " + inputs + "-" + hidden + "-" + classes + ": need inputs, hidden ≥ 1 and classes ≥ 2");
    }
  }

  public int w1Offset() {
    return 0;
  }

  public int b1Offset() {
    return inputs * hidden;
  }

  public int w2Offset() {
    return b1Offset() + hidden;
  }

  public int b2Offset() {
    return w2Offset() + hidden * classes;
  }

  public int size() {
    return b2Offset() + classes;
  }

  @Override
  public String toString() {
    return inputs + "-" + hidden + "-" + classes;
  }
}
