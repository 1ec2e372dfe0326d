package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.ConvNetwork.Stage;

/**
 * A {@link ConvNetwork}'s forward pass for one image in plain Java: what a prediction needs, without the native
 * libraries of {@link ConvPass} (emnist-predict's image carries none). Same layout and arithmetic as ConvPass.
 */
final class ImageForward {
  private ImageForward() {}

  /** The logits of one image: 784 values 0..255 in EMNIST's stored layout. */
  static double[] logits(ConvNetwork network, float[] parameters, int[] stored) {
    float[] x = new float[LabeledImages.PIXELS];
    for (int p = 0; p < x.length; p++) {
      x[p] = stored[p] * (1f / 255f);
    }
    for (Stage s : network.stages()) {
      x = switch (s.kind()) {
        case CONV -> conv(s, parameters, x);
        case POOL -> pool(s, x);
        case DENSE, OUTPUT -> dense(s, parameters, x, s.kind() == Stage.Kind.DENSE);
      };
    }
    double[] z = new double[x.length];
    for (int c = 0; c < z.length; c++) {
      z[c] = x[c];
    }
    return z;
  }

  private static float[] conv(Stage s, float[] w, float[] in) {
    int side = s.inSide();
    int cin = s.inChannels();
    int cout = s.outChannels();
    int k = s.kernel();
    int pad = k / 2;
    float[] out = new float[side * side * cout];
    for (int i = 0; i < side; i++) {
      for (int j = 0; j < side; j++) {
        int o = (i * side + j) * cout;
        System.arraycopy(w, s.biasOffset(), out, o, cout);
        for (int kh = 0; kh < k; kh++) {
          int r = i + kh - pad;
          if (r < 0 || r >= side) {
            continue;
          }
          for (int kw = 0; kw < k; kw++) {
            int c = j + kw - pad;
            if (c < 0 || c >= side) {
              continue;
            }
            for (int ci = 0; ci < cin; ci++) {
              float v = in[(r * side + c) * cin + ci];
              if (v == 0f) {
                continue;
              }
              int row = s.weightOffset() + ((kh * k + kw) * cin + ci) * cout;
              for (int co = 0; co < cout; co++) {
                out[o + co] += v * w[row + co];
              }
            }
          }
        }
        for (int co = 0; co < cout; co++) {
          out[o + co] = Math.max(out[o + co], 0f);
        }
      }
    }
    return out;
  }

  private static float[] pool(Stage s, float[] in) {
    int side = s.inSide();
    int half = side / 2;
    int ch = s.inChannels();
    float[] out = new float[half * half * ch];
    for (int i = 0; i < half; i++) {
      for (int j = 0; j < half; j++) {
        for (int c = 0; c < ch; c++) {
          int a = ((2 * i) * side + 2 * j) * ch + c;
          out[(i * half + j) * ch + c] = Math.max(Math.max(in[a], in[a + ch]),
              Math.max(in[a + side * ch], in[a + side * ch + ch]));
        }
      }
    }
    return out;
  }

  private static float[] dense(Stage s, float[] w, float[] in, boolean relu) {
    int units = s.outChannels();
    float[] out = new float[units];
    System.arraycopy(w, s.biasOffset(), out, 0, units);
    for (int p = 0; p < in.length; p++) {
      float v = in[p];
      if (v == 0f) {
        continue;
      }
      int row = s.weightOffset() + p * units;
      for (int u = 0; u < units; u++) {
        out[u] += v * w[row + u];
      }
    }
    if (relu) {
      for (int u = 0; u < units; u++) {
        out[u] = Math.max(out[u], 0f);
      }
    }
    return out;
  }
}
