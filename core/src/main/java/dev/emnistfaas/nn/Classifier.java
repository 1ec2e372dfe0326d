package dev.emnistfaas.nn;

import dev.emnistfaas.data.InputOrder;
import dev.emnistfaas.data.LabeledImages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A trained network answering for one image at a time: the forward pass without dropout, in plain Java (one
 * image is 80,000 multiply-adds, less than ND4J's call overhead), with softmax probabilities ranked. Immutable
 * and safe to share between threads.
 */
public final class Classifier {
  /** One answer: the character and its probability. */
  public record Guess(String character, double probability) {}

  private final Network network;
  private final int[] charCodes;
  private final float[] parameters;

  public Classifier(ModelFile model) {
    if (model.network() instanceof MlpNetwork mlp && mlp.inputs() != LabeledImages.PIXELS) {
      throw new IllegalArgumentException("model " + mlp + " does not read 28×28 images");
    }
    this.network = model.network();
    this.charCodes = model.charCodes().clone();
    this.parameters = model.parameters().clone();
  }

  public Network network() {
    return network;
  }

  /** The class probabilities of one image: 784 values 0..255 in EMNIST's stored layout. */
  public double[] probabilities(int[] stored) {
    if (stored.length != LabeledImages.PIXELS) {
      throw new IllegalArgumentException("an image has " + LabeledImages.PIXELS + " pixels, got " + stored.length);
    }
    double[] z = network instanceof ConvNetwork conv ? ImageForward.logits(conv, parameters, stored)
        : mlpLogits((MlpNetwork) network, stored);
    double max = Arrays.stream(z).max().orElseThrow();
    double sum = 0;
    for (int c = 0; c < z.length; c++) {
      z[c] = Math.exp(z[c] - max);
      sum += z[c];
    }
    for (int c = 0; c < z.length; c++) {
      z[c] /= sum;
    }
    return z;
  }

  private double[] mlpLogits(MlpNetwork shape, int[] stored) {
    int hid = shape.hidden();
    int out = shape.classes();
    double[] hidden = new double[hid];
    for (int j = 0; j < hid; j++) {
      hidden[j] = parameters[shape.b1Offset() + j];
    }
    for (int input = 0; input < shape.inputs(); input++) {
      int pixel = stored[InputOrder.storedIndex(input)];
      if (pixel != 0) {
        double x = pixel / 255.0;
        int row = shape.w1Offset() + input * hid;
        for (int j = 0; j < hid; j++) {
          hidden[j] += x * parameters[row + j];
        }
      }
    }
    double[] z = new double[out];
    for (int c = 0; c < out; c++) {
      z[c] = parameters[shape.b2Offset() + c];
    }
    for (int j = 0; j < hid; j++) {
      double h = Math.tanh(hidden[j]);
      int row = shape.w2Offset() + j * out;
      for (int c = 0; c < out; c++) {
        z[c] += h * parameters[row + c];
      }
    }
    return z;
  }

  /** The {@code k} likeliest characters, likeliest first; labels the mapping lacks are left out. */
  public List<Guess> top(int[] stored, int k) {
    double[] p = probabilities(stored);
    List<Guess> all = new ArrayList<>();
    for (int c = 0; c < p.length; c++) {
      if (charCodes[c] >= 0) {
        all.add(new Guess(Character.toString(charCodes[c]), p[c]));
      }
    }
    all.sort(Comparator.comparingDouble(Guess::probability).reversed());
    return List.copyOf(all.subList(0, Math.min(k, all.size())));
  }
}
