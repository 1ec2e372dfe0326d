package dev.emnistfaas.data;

/**
 * Image resizing with Keys' bicubic kernel (a = -0.5), anti-aliased when shrinking by widening the kernel by the
 * scale factor: what MATLAB's {@code imresize(..., 'bicubic')} does, which EMNIST's authors used. Separable: rows
 * first, then columns; edges are clamped.
 */
final class Resampling {
  private Resampling() {}

  static float[] bicubic(float[] in, int inW, int inH, int outW, int outH) {
    float[] rows = new float[outW * inH];
    Weights across = new Weights(inW, outW);
    for (int y = 0; y < inH; y++) {
      for (int x = 0; x < outW; x++) {
        rows[y * outW + x] = across.apply(in, y * inW, 1, x);
      }
    }
    float[] out = new float[outW * outH];
    Weights down = new Weights(inH, outH);
    for (int y = 0; y < outH; y++) {
      for (int x = 0; x < outW; x++) {
        out[y * outW + x] = down.apply(rows, x, outW, y);
      }
    }
    return out;
  }

  /** For each output position, the input positions it reads and their normalised weights. */
  private static final class Weights {
    private final int[][] index;
    private final float[][] weight;

    Weights(int in, int out) {
      double scale = (double) out / in;
      double widen = Math.min(1, scale);
      double support = 2 / widen;
      index = new int[out][];
      weight = new float[out][];
      for (int o = 0; o < out; o++) {
        double centre = (o + 0.5) / scale - 0.5;
        int first = (int) Math.floor(centre - support);
        int last = (int) Math.ceil(centre + support);
        index[o] = new int[last - first + 1];
        weight[o] = new float[last - first + 1];
        double sum = 0;
        for (int i = first; i <= last; i++) {
          double w = widen * keys((centre - i) * widen);
          index[o][i - first] = Math.min(in - 1, Math.max(0, i));
          weight[o][i - first] = (float) w;
          sum += w;
        }
        for (int k = 0; k < weight[o].length; k++) {
          weight[o][k] /= (float) sum;
        }
      }
    }

    float apply(float[] data, int base, int stride, int o) {
      float acc = 0;
      for (int k = 0; k < index[o].length; k++) {
        acc += weight[o][k] * data[base + index[o][k] * stride];
      }
      return acc;
    }

    private static double keys(double x) {
      double a = Math.abs(x);
      if (a <= 1) {
        return 1.5 * a * a * a - 2.5 * a * a + 1;
      }
      if (a < 2) {
        return -0.5 * a * a * a + 2.5 * a * a - 4 * a + 2;
      }
      return 0;
    }
  }
}
