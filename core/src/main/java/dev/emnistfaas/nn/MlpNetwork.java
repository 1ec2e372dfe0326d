package dev.emnistfaas.nn;

/**
 * The MLP inputs → hidden (tanh) → classes (softmax), named "mlpH" for H hidden units, and where each layer lives
 * in the flat parameter vector: W1 (inputs×hidden, row-major), b1 (hidden), W2 (hidden×classes, row-major), b2
 * (classes), in that order.
 * The same layout is the parameter store's.
 */
public record MlpNetwork(int inputs, int hidden, int classes) implements Network {
  public MlpNetwork {
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

  @Override
  public int size() {
    return b2Offset() + classes;
  }

  @Override
  public String name() {
    return "mlp" + hidden;
  }

  @Override
  public int[] blockOffsets() {
    return new int[] {w1Offset(), b1Offset(), w2Offset(), b2Offset()};
  }

  @Override
  public BatchPass newPass(int rows, boolean training) {
    return new MlpPass(this, rows);
  }

  /** Weights from N(0, 1/fan-in) (keeps tanh out of saturation at the start), biases 0. */
  @Override
  public float[] initialValues(long seed) {
    SplitMix64 random = new SplitMix64(seed);
    float[] values = new float[size()];
    double s1 = Math.sqrt(1.0 / inputs);
    for (int i = 0; i < inputs * hidden; i++) {
      values[w1Offset() + i] = (float) (random.nextGaussian() * s1);
    }
    double s2 = Math.sqrt(1.0 / hidden);
    for (int i = 0; i < hidden * classes; i++) {
      values[w2Offset() + i] = (float) (random.nextGaussian() * s2);
    }
    return values;
  }

  @Override
  public long trainingFlopsPerSample() {
    return 2L * inputs * hidden * 2 + 2L * hidden * classes * 3;
  }

  @Override
  public int evaluationRows() {
    return 512;
  }

  @Override
  public String toString() {
    return inputs + "-" + hidden + "-" + classes;
  }
}
