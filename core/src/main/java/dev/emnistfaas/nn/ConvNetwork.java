package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabeledImages;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A layered network on 28×28 one-channel images, named in the grammar of {@code ../shared/bench/cnn_torch.py}:
 * tokens joined by '-', {@code cNkK} a convolution of N filters K×K with 'same' padding and ReLU, {@code p2} 2×2
 * max-pooling (stride 2, an odd side rounded down), {@code fN} a dense layer of N units with ReLU and dropout; a
 * final dense layer to the classes follows, with softmax cross-entropy. Example: {@code c16k3-p2-c32k3-p2-f128}.
 *
 * <p>Activations are channels-last (image, row, column, channel). Parameters, layer by layer in the order of the
 * name: a convolution's weights as a (K·K·inputChannels)×N row-major matrix whose row is (kernel row, kernel
 * column, input channel), then its N biases; a dense layer's weights as inputs×units, then its biases. The
 * flattened input of the first dense layer is the channels-last activation as it lies.
 */
public record ConvNetwork(List<Stage> stages, int classes, String name) implements Network {
  /** One layer with its geometry and where its parameters lie. */
  public record Stage(Kind kind, int inSide, int inChannels, int outSide, int outChannels, int kernel,
      int weightOffset, int biasOffset) {
    public enum Kind { CONV, POOL, DENSE, OUTPUT }

    /** Floats of one image's input to this stage. */
    public int inFloats() {
      return inSide * inSide * inChannels;
    }

    /** Floats of one image's output of this stage. */
    public int outFloats() {
      return outSide * outSide * outChannels;
    }

    /** Rows of the weight matrix: K·K·inputChannels of a convolution, the inputs of a dense layer. */
    public int weightRows() {
      return kind == Kind.CONV ? kernel * kernel * inChannels : inFloats();
    }

    boolean hasParameters() {
      return kind != Kind.POOL;
    }
  }

  private static final Pattern CONV = Pattern.compile("c([0-9]{1,4})k([0-9]{1,2})");
  private static final Pattern DENSE = Pattern.compile("f([0-9]{1,5})");

  public ConvNetwork {
    stages = List.copyOf(stages);
  }

  /**
   * Reads a name of the grammar above.
   *
   * @throws IllegalArgumentException naming the token that is wrong and why
   */
  public static ConvNetwork parse(String name, int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("network " + name + ": need at least 2 classes, got " + classes);
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "network: empty; name one such as mlp, mlp100 or c16k3-p2-c32k3-p2-f128 (cNkK convolution, p2 pooling, "
              + "fN dense)");
    }
    List<Stage> stages = new ArrayList<>();
    int side = LabeledImages.SIDE;
    int channels = 1;
    boolean flat = false;
    int offset = 0;
    for (String token : name.split("-", -1)) {
      Matcher conv = CONV.matcher(token);
      Matcher dense = DENSE.matcher(token);
      if (conv.matches()) {
        int filters = Integer.parseInt(conv.group(1));
        int k = Integer.parseInt(conv.group(2));
        if (flat) {
          throw problem(name, token, "a convolution cannot follow a dense layer");
        }
        if (filters < 1 || filters > 1024 || k < 1 || k > 11 || k % 2 == 0) {
          throw problem(name, token, "need 1..1024 filters and an odd kernel 1..11 ('same' padding)");
        }
        int weights = offset;
        offset += k * k * channels * filters;
        stages.add(new Stage(Stage.Kind.CONV, side, channels, side, filters, k, weights, offset));
        offset += filters;
        channels = filters;
      } else if (token.equals("p2")) {
        if (flat) {
          throw problem(name, token, "pooling cannot follow a dense layer");
        }
        if (side < 2) {
          throw problem(name, token, "the image is already " + side + "×" + side);
        }
        stages.add(new Stage(Stage.Kind.POOL, side, channels, side / 2, channels, 2, -1, -1));
        side /= 2;
      } else if (dense.matches()) {
        int units = Integer.parseInt(dense.group(1));
        if (units < 1 || units > 16384) {
          throw problem(name, token, "need 1..16384 units");
        }
        offset = addDense(stages, Stage.Kind.DENSE, side, channels, units, offset);
        side = 1;
        channels = units;
        flat = true;
      } else {
        throw problem(name, token, "not a layer (cNkK convolution, p2 pooling, fN dense)");
      }
    }
    addDense(stages, Stage.Kind.OUTPUT, side, channels, classes, offset);
    return new ConvNetwork(stages, classes, name);
  }

  private static int addDense(List<Stage> stages, Stage.Kind kind, int side, int channels, int units, int offset) {
    int weights = offset;
    int next = offset + side * side * channels * units;
    stages.add(new Stage(kind, side, channels, 1, units, 0, weights, next));
    return next + units;
  }

  private static IllegalArgumentException problem(String name, String token, String why) {
    return new IllegalArgumentException("network " + name + ": '" + token + "': " + why);
  }

  @Override
  public int size() {
    Stage last = stages.get(stages.size() - 1);
    return last.biasOffset() + last.outChannels();
  }

  @Override
  public int[] blockOffsets() {
    return stages.stream().filter(Stage::hasParameters)
        .flatMapToInt(s -> java.util.stream.IntStream.of(s.weightOffset(), s.biasOffset())).toArray();
  }

  @Override
  public BatchPass newPass(int rows, boolean training) {
    return new ConvPass(this, rows, training);
  }

  /**
   * He initialisation for the ReLU layers, N(0, 2/fan-in), and N(0, 1/fan-in) for the output layer; biases 0.
   */
  @Override
  public float[] initialValues(long seed) {
    float[] values = new float[size()];
    SplitMix64 random = new SplitMix64(seed);
    for (Stage s : stages) {
      if (!s.hasParameters()) {
        continue;
      }
      double sd = Math.sqrt((s.kind() == Stage.Kind.OUTPUT ? 1.0 : 2.0) / s.weightRows());
      for (int i = 0; i < s.weightRows() * s.outChannels(); i++) {
        values[s.weightOffset() + i] = (float) (random.nextGaussian() * sd);
      }
    }
    return values;
  }

  /**
   * Per sample: each product's multiply-adds twice for the forward pass, and for the backward pass once for the
   * weight gradient and once for the input gradient (which the first layer does not need).
   */
  @Override
  public long trainingFlopsPerSample() {
    long flops = 0;
    boolean first = true;
    for (Stage s : stages) {
      if (!s.hasParameters()) {
        continue;
      }
      long macs = (long) s.outSide() * s.outSide() * s.weightRows() * s.outChannels();
      flops += 2 * macs * (first ? 2 : 3);
      first = false;
    }
    return flops;
  }

  @Override
  public int evaluationRows() {
    return 128;
  }

  @Override
  public String toString() {
    return name;
  }
}
