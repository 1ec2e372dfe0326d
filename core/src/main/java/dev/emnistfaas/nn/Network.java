package dev.emnistfaas.nn;

/**
 * A network architecture: how many parameters it has, where each layer's lie in the flat parameter vector, how
 * they start, and the batch pass that trains it. Two kinds: the tanh MLP ({@link MlpNetwork}) and layered
 * networks of convolutions, pooling and dense layers ({@link ConvNetwork}), each named by a string that
 * {@link #parse} reads back.
 */
public sealed interface Network permits MlpNetwork, ConvNetwork {
  /** How many float parameters the flat vector holds. */
  int size();

  int classes();

  /** The name {@link #parse} reads back to this network (with the same class count): "mlp100", "c16k3-p2-f128". */
  String name();

  /** The offsets of the parameter blocks (each layer's weights, then its biases) in the flat vector, in order. */
  int[] blockOffsets();

  /** A batch pass of {@code rows} images; {@code training} false: forward only (no gradient buffers). */
  BatchPass newPass(int rows, boolean training);

  /** Seeded initial values of every parameter (weights random, biases 0). */
  float[] initialValues(long seed);

  /** Floating-point operations of one training step per sample (forward and backward; multiply-add = 2). */
  long trainingFlopsPerSample();

  /** How many images an evaluation pass takes at once: the MLP's activations are small, a CNN's are not. */
  int evaluationRows();

  /**
   * The network a setting names for images of {@code classes} classes: "mlp" (the tanh MLP with {@code hidden}
   * units), "mlpN" (with N), or layers in the grammar of {@link ConvNetwork#parse}.
   *
   * @throws IllegalArgumentException with a message naming what is wrong
   */
  static Network parse(String name, int hidden, int classes) {
    String n = name == null ? "" : name.trim();
    if (!namesMlp(n)) {
      return ConvNetwork.parse(n, classes);
    }
    int units = n.equals("mlp") ? hidden : Integer.parseInt(n.substring(3));
    return new MlpNetwork(dev.emnistfaas.data.LabeledImages.PIXELS, units, classes);
  }

  /** Whether {@code name} names the tanh MLP ("mlp" or "mlpN") rather than layers. */
  public static boolean namesMlp(String name) {
    String n = name == null ? "" : name.trim();
    return n.equals("mlp") || n.matches("mlp[0-9]{1,4}");
  }
}
