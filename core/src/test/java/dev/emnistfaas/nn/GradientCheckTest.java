package dev.emnistfaas.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import dev.emnistfaas.data.InputOrder;
import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.data.LabeledImages;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The backward pass against central finite differences of the loss, in every layer, with and without dropout. */
class GradientCheckTest {
  private static final MlpNetwork SHAPE = new MlpNetwork(784, 12, 5);
  private static final int ROWS = 6;

  static LabeledImages randomImages(int n, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] px = new byte[n * LabeledImages.PIXELS];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : 0);
    }
    byte[] labels = new byte[n];
    int[] codes = new int[classes];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) r.nextInt(classes);
    }
    for (int c = 0; c < classes; c++) {
      codes[c] = 'a' + c;
    }
    return new LabeledImages(px, labels, LabelMapping.of(codes));
  }

  /**
   * The loss's derivative in parameter {@code i} by central differences of step {@code eps}, the same dropout mask
   * on both sides (seed 99); {@code params} is left as it was.
   */
  static double centralDifference(BatchPass pass, ParameterVector params, ParameterVector scratch, int i, float eps,
      float dropout) {
    float original = params.get(i);
    params.put(i, original + eps);
    double plus = pass.train(params, scratch, dropout, new SplitMix64(99));
    params.put(i, original - eps);
    double minus = pass.train(params, scratch, dropout, new SplitMix64(99));
    params.put(i, original);
    return (plus - minus) / (2 * eps);
  }

  @Test
  void analyticGradientMatchesFiniteDifferences() {
    check(0f);
  }

  @Test
  void analyticGradientMatchesWithDropout() {
    check(0.3f);
  }

  private void check(float dropout) {
    LabeledImages images = randomImages(ROWS, SHAPE.classes(), 11);
    int[] order = {0, 1, 2, 3, 4, 5};
    ParameterVector params = ParameterVector.initial(SHAPE, 5);
    // Larger output weights so that every gradient entry is well above float rounding.
    for (int i = SHAPE.w2Offset(); i < SHAPE.size(); i++) {
      params.put(i, params.get(i) * 3);
    }
    ParameterVector grad = ParameterVector.zeros(SHAPE);
    ParameterVector scratch = ParameterVector.zeros(SHAPE);
    MlpPass pass = new MlpPass(SHAPE, ROWS);
    pass.load(images, order, 0);
    SplitMix64 random = new SplitMix64(99);
    pass.train(params, grad, dropout, random);

    int[][] blocks = {
        {SHAPE.w1Offset(), SHAPE.b1Offset()}, {SHAPE.b1Offset(), SHAPE.w2Offset()},
        {SHAPE.w2Offset(), SHAPE.b2Offset()}, {SHAPE.b2Offset(), SHAPE.size()}};
    SplittableRandom pick = new SplittableRandom(3);
    int checked = 0;
    for (int[] block : blocks) {
      for (int t = 0; t < 25; t++) {
        int i = block[0] + pick.nextInt(block[1] - block[0]);
        if (i < SHAPE.b1Offset() && Math.abs(grad.get(i)) < 1e-4) {
          continue; // W1 rows of pixels that are 0 in every image have exactly zero gradient: too easy.
        }
        double numeric = centralDifference(pass, params, scratch, i, 1e-2f, dropout);
        double analytic = grad.get(i);
        assertEquals(numeric, analytic, 2e-3 + 2e-2 * Math.abs(numeric),
            "parameter " + i + " (dropout " + dropout + ")");
        checked++;
      }
    }
    assertTrue(checked >= 60, "checked " + checked);
  }

  @Test
  void zeroPixelsGiveZeroFirstLayerGradientAndBiasGradientsSumOverRows() {
    LabeledImages images = randomImages(ROWS, SHAPE.classes(), 12);
    ParameterVector params = ParameterVector.initial(SHAPE, 6);
    ParameterVector grad = ParameterVector.zeros(SHAPE);
    MlpPass pass = new MlpPass(SHAPE, ROWS);
    pass.load(images, new int[] {0, 1, 2, 3, 4, 5}, 0);
    pass.train(params, grad, 0f, new SplitMix64(1));
    // The output-bias gradient is the mean of (p - onehot): its entries sum to zero.
    double sum = 0;
    for (int c = 0; c < SHAPE.classes(); c++) {
      sum += grad.get(SHAPE.b2Offset() + c);
    }
    assertEquals(0, sum, 1e-6);
    int zeroRows = 0;
    for (int i = 0; i < 784; i++) {
      boolean allZero = true;
      for (int k = 0; k < ROWS; k++) {
        allZero &= images.pixel(k, InputOrder.storedIndex(i)) == 0;
      }
      if (allZero) {
        zeroRows++;
        for (int j = 0; j < SHAPE.hidden(); j++) {
          assertEquals(0f, grad.get(i * SHAPE.hidden() + j), 0f);
        }
      }
    }
    assertTrue(zeroRows > 0, "no pixel is blank in all images");
  }

  @Test
  void batchWithABlankRingGivesTheGradientOfThePlainNetwork() {
    MlpNetwork shape = new MlpNetwork(784, 16, 47);
    LabeledImages real = RealData.dataset().train();
    int[] order = new int[ROWS];
    for (int i = 0, k = 0; k < ROWS; i++) {
      if (ringIsBlank(real, i)) {
        order[k++] = i;
      }
    }
    ParameterVector params = ParameterVector.initial(shape, 8);
    ParameterVector grad = ParameterVector.zeros(shape);
    MlpPass pass = new MlpPass(shape, ROWS);
    // A batch with ink everywhere first, so the input buffer's ring holds stale non-zero values, and a
    // gradient vector full of garbage: neither may leak into the result.
    LabeledImages inked = randomImages(ROWS, 47, 13);
    pass.load(inked, new int[] {0, 1, 2, 3, 4, 5}, 0);
    grad.fill(7f);
    pass.load(real, order, 0);
    assertEquals(InputOrder.INNER, pass.inputsUsed());
    pass.train(params, grad, 0f, new SplitMix64(1));
    assertMatchesPlainNetwork(shape, real, order, params, grad);
    for (int i = InputOrder.INNER * shape.hidden(); i < 784 * shape.hidden(); i++) {
      assertEquals(0f, grad.get(i), 0f, "W1 gradient entry " + i + " of a ring input");
    }
  }

  @Test
  void batchWithInkOnTheRingGivesTheGradientOfThePlainNetwork() {
    MlpNetwork shape = new MlpNetwork(784, 16, 47);
    LabeledImages inked = randomImages(ROWS, 47, 14);
    int[] order = {5, 4, 3, 2, 1, 0};
    ParameterVector params = ParameterVector.initial(shape, 9);
    ParameterVector grad = ParameterVector.zeros(shape);
    MlpPass pass = new MlpPass(shape, ROWS);
    pass.load(RealData.dataset().train(), new int[] {0, 1, 2, 3, 4, 5}, 0);
    pass.load(inked, order, 0);
    assertEquals(784, pass.inputsUsed());
    pass.train(params, grad, 0f, new SplitMix64(1));
    assertMatchesPlainNetwork(shape, inked, order, params, grad);
  }

  @Test
  void aPassNeedsOneInputPerPixel() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new MlpPass(new MlpNetwork(100, 4, 3), 2));
    assertEquals("a batch holds 28x28 images: the network needs 784 inputs, not 100", e.getMessage());
  }

  private static boolean ringIsBlank(LabeledImages images, int i) {
    for (int input = InputOrder.INNER; input < 784; input++) {
      if (images.pixel(i, InputOrder.storedIndex(input)) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The gradient of the mean cross-entropy of 784-H-C (tanh, softmax) computed in doubles, straight from the
   * definition, input i being stored pixel {@link InputOrder#storedIndex}(i), against {@code grad}.
   */
  private static void assertMatchesPlainNetwork(MlpNetwork shape, LabeledImages images, int[] order,
      ParameterVector params, ParameterVector grad) {
    int in = shape.inputs();
    int hid = shape.hidden();
    int out = shape.classes();
    float[] w = params.toArray();
    double[] want = new double[shape.size()];
    for (int k = 0; k < order.length; k++) {
      double[] x = new double[in];
      for (int i = 0; i < in; i++) {
        x[i] = images.pixel(order[k], InputOrder.storedIndex(i)) / 255.0;
      }
      double[] h = new double[hid];
      for (int j = 0; j < hid; j++) {
        double a = w[shape.b1Offset() + j];
        for (int i = 0; i < in; i++) {
          a += x[i] * w[shape.w1Offset() + i * hid + j];
        }
        h[j] = Math.tanh(a);
      }
      double[] p = new double[out];
      double sum = 0;
      for (int c = 0; c < out; c++) {
        double z = w[shape.b2Offset() + c];
        for (int j = 0; j < hid; j++) {
          z += h[j] * w[shape.w2Offset() + j * out + c];
        }
        p[c] = Math.exp(z);
        sum += p[c];
      }
      double[] d2 = new double[out];
      for (int c = 0; c < out; c++) {
        d2[c] = (p[c] / sum - (c == images.label(order[k]) ? 1 : 0)) / order.length;
        want[shape.b2Offset() + c] += d2[c];
      }
      for (int j = 0; j < hid; j++) {
        double dh = 0;
        for (int c = 0; c < out; c++) {
          want[shape.w2Offset() + j * out + c] += h[j] * d2[c];
          dh += d2[c] * w[shape.w2Offset() + j * out + c];
        }
        double d1 = dh * (1 - h[j] * h[j]);
        want[shape.b1Offset() + j] += d1;
        for (int i = 0; i < in; i++) {
          want[shape.w1Offset() + i * hid + j] += x[i] * d1;
        }
      }
    }
    for (int i = 0; i < shape.size(); i++) {
      assertEquals(want[i], grad.get(i), 1e-5 + 1e-3 * Math.abs(want[i]), "gradient entry " + i);
    }
  }
}
