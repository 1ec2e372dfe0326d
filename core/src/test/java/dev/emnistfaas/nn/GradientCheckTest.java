package dev.emnistfaas.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.data.LabeledImages;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The backward pass against central finite differences of the loss, in every layer, with and without dropout. */
class GradientCheckTest {
  private static final NetworkShape SHAPE = new NetworkShape(784, 12, 5);
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
    BatchPass pass = new BatchPass(SHAPE, ROWS);
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
        float original = params.get(i);
        float eps = 1e-2f;
        params.put(i, original + eps);
        double plus = pass.train(params, scratch, dropout, new SplitMix64(99));
        params.put(i, original - eps);
        double minus = pass.train(params, scratch, dropout, new SplitMix64(99));
        params.put(i, original);
        double numeric = (plus - minus) / (2 * eps);
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
    BatchPass pass = new BatchPass(SHAPE, ROWS);
    pass.load(images, new int[] {0, 1, 2, 3, 4, 5}, 0);
    pass.train(params, grad, 0f, new SplitMix64(1));
    // The output-bias gradient is the mean of (p - onehot): its entries sum to zero.
    double sum = 0;
    for (int c = 0; c < SHAPE.classes(); c++) {
      sum += grad.get(SHAPE.b2Offset() + c);
    }
    assertEquals(0, sum, 1e-6);
    for (int p = 0; p < 784; p++) {
      boolean allZero = true;
      for (int k = 0; k < ROWS; k++) {
        allZero &= images.pixel(k, p) == 0;
      }
      if (allZero) {
        for (int j = 0; j < SHAPE.hidden(); j++) {
          assertEquals(0f, grad.get(p * SHAPE.hidden() + j), 0f);
        }
      }
    }
  }
}
