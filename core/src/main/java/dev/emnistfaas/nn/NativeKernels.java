package dev.emnistfaas.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and data-movement loops of a convolutional pass, on off-heap floats in native byte buffers
 * (float {@code i} at byte {@code 4i}) with the JDK's vector API: bias and ReLU, their gradients, and max-pooling.
 * Activations are channels-last, so a channel loop is one run of lanes.

 */
final class NativeKernels {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  private NativeKernels() {}

  private static float get(ByteBuffer b, int i) {
    return b.getFloat(i * Float.BYTES);
  }

  private static void put(ByteBuffer b, int i, float v) {
    b.putFloat(i * Float.BYTES, v);
  }

  /** dst[d .. d+n) ← 0. */
  static void zero(ByteBuffer dst, int d, int n) {
    int i = 0;
    for (; i <= n - L; i += L) {
      FloatVector.zero(F).intoByteBuffer(dst, (d + i) * 4, NATIVE);
    }
    for (; i < n; i++) {
      put(dst, d + i, 0f);
    }
  }

  /** Each of {@code rows} rows of {@code cols} floats from float {@code from}: v ← max(v + bias, 0). */
  static void addBiasRelu(ByteBuffer b, int from, int rows, int cols, float[] bias) {
    int bound = F.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      int base = from + r * cols;
      int j = 0;
      for (; j < bound; j += L) {
        FloatVector v = FloatVector.fromByteBuffer(F, b, (base + j) * 4, NATIVE);
        v.add(FloatVector.fromArray(F, bias, j)).max(0f).intoByteBuffer(b, (base + j) * 4, NATIVE);
      }
      for (; j < cols; j++) {
        put(b, base + j, Math.max(get(b, base + j) + bias[j], 0f));
      }
    }
  }

  /**
   * The gradient through ReLU, row by row: d ← d where the layer's output y is positive, else 0; the new d's
   * column sums are added to {@code biasGrad}.
   */
  static void reluBackward(ByteBuffer d, ByteBuffer y, int from, int rows, int cols, float[] biasGrad) {
    int bound = F.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      int base = from + r * cols;
      int j = 0;
      for (; j < bound; j += L) {
        FloatVector out = FloatVector.fromByteBuffer(F, y, (base + j) * 4, NATIVE);
        VectorMask<Float> off = out.compare(VectorOperators.LE, 0f);
        FloatVector g = FloatVector.fromByteBuffer(F, d, (base + j) * 4, NATIVE).blend(0f, off);
        g.intoByteBuffer(d, (base + j) * 4, NATIVE);
        g.add(FloatVector.fromArray(F, biasGrad, j)).intoArray(biasGrad, j);
      }
      for (; j < cols; j++) {
        float g = get(y, base + j) > 0f ? get(d, base + j) : 0f;
        put(d, base + j, g);
        biasGrad[j] += g;
      }
    }
  }

  /** v[i] ← v[i]·m[i] for i in 0..n. */
  static void multiply(ByteBuffer v, ByteBuffer m, int n) {
    int i = 0;
    for (; i <= n - L; i += L) {
      FloatVector product = FloatVector.fromByteBuffer(F, v, i * 4, NATIVE)
          .mul(FloatVector.fromByteBuffer(F, m, i * 4, NATIVE));
      product.intoByteBuffer(v, i * 4, NATIVE);
    }
    for (; i < n; i++) {
      put(v, i, get(v, i) * get(m, i));
    }
  }

  /** The column sums of a rows×cols block, added to {@code sums}. */
  static void addColumnSums(ByteBuffer b, int rows, int cols, float[] sums) {
    int bound = F.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      int j = 0;
      for (; j < bound; j += L) {
        FloatVector v = FloatVector.fromByteBuffer(F, b, (base + j) * 4, NATIVE);
        v.add(FloatVector.fromArray(F, sums, j)).intoArray(sums, j);
      }
      for (; j < cols; j++) {
        sums[j] += get(b, base + j);
      }
    }
  }

  /** 2×2 max-pooling with stride 2 of {@code images} channels-last images of side {@code side}. */
  static void maxPool(ByteBuffer in, ByteBuffer out, int images, int side, int channels) {
    int half = side / 2;
    int bound = F.loopBound(channels);
    for (int img = 0; img < images; img++) {
      for (int oi = 0; oi < half; oi++) {
        for (int oj = 0; oj < half; oj++) {
          int a = ((img * side + 2 * oi) * side + 2 * oj) * channels;
          int b = a + channels;
          int c = a + side * channels;
          int d = c + channels;
          int o = ((img * half + oi) * half + oj) * channels;
          int ch = 0;
          for (; ch < bound; ch += L) {
            FloatVector top = FloatVector.fromByteBuffer(F, in, (a + ch) * 4, NATIVE)
                .max(FloatVector.fromByteBuffer(F, in, (b + ch) * 4, NATIVE));
            FloatVector bottom = FloatVector.fromByteBuffer(F, in, (c + ch) * 4, NATIVE)
                .max(FloatVector.fromByteBuffer(F, in, (d + ch) * 4, NATIVE));
            top.max(bottom).intoByteBuffer(out, (o + ch) * 4, NATIVE);
          }
          for (; ch < channels; ch++) {
            put(out, o + ch, Math.max(Math.max(get(in, a + ch), get(in, b + ch)),
                Math.max(get(in, c + ch), get(in, d + ch))));
          }
        }
      }
    }
  }

  /**
   * The gradient through {@link #maxPool}: each output's gradient goes to the first of its four inputs (row by
   * row) that equals it, the other three get 0. With an odd side, the last row and column get 0.
   */
  static void maxPoolBackward(ByteBuffer in, ByteBuffer out, ByteBuffer dOut, ByteBuffer dIn, int images, int side,
      int channels) {
    int half = side / 2;
    if (side % 2 != 0) {
      zero(dIn, 0, images * side * side * channels);
    }
    int bound = F.loopBound(channels);
    for (int img = 0; img < images; img++) {
      for (int oi = 0; oi < half; oi++) {
        for (int oj = 0; oj < half; oj++) {
          int a = ((img * side + 2 * oi) * side + 2 * oj) * channels;
          int b = a + channels;
          int c = a + side * channels;
          int d = c + channels;
          int o = ((img * half + oi) * half + oj) * channels;
          int ch = 0;
          for (; ch < bound; ch += L) {
            FloatVector zero = FloatVector.zero(F);
            FloatVector y = FloatVector.fromByteBuffer(F, out, (o + ch) * 4, NATIVE);
            FloatVector g = FloatVector.fromByteBuffer(F, dOut, (o + ch) * 4, NATIVE);
            FloatVector va = FloatVector.fromByteBuffer(F, in, (a + ch) * 4, NATIVE);
            FloatVector vb = FloatVector.fromByteBuffer(F, in, (b + ch) * 4, NATIVE);
            FloatVector vc = FloatVector.fromByteBuffer(F, in, (c + ch) * 4, NATIVE);
            VectorMask<Float> ma = va.compare(VectorOperators.EQ, y);
            VectorMask<Float> mb = vb.compare(VectorOperators.EQ, y).andNot(ma);
            VectorMask<Float> taken = ma.or(mb);
            VectorMask<Float> mc = vc.compare(VectorOperators.EQ, y).andNot(taken);
            VectorMask<Float> md = taken.or(mc).not();
            zero.blend(g, ma).intoByteBuffer(dIn, (a + ch) * 4, NATIVE);
            zero.blend(g, mb).intoByteBuffer(dIn, (b + ch) * 4, NATIVE);
            zero.blend(g, mc).intoByteBuffer(dIn, (c + ch) * 4, NATIVE);
            zero.blend(g, md).intoByteBuffer(dIn, (d + ch) * 4, NATIVE);
          }
          for (; ch < channels; ch++) {
            float y = get(out, o + ch);
            float g = get(dOut, o + ch);
            boolean ta = get(in, a + ch) == y;
            boolean tb = !ta && get(in, b + ch) == y;
            boolean tc = !ta && !tb && get(in, c + ch) == y;
            put(dIn, a + ch, ta ? g : 0f);
            put(dIn, b + ch, tb ? g : 0f);
            put(dIn, c + ch, tc ? g : 0f);
            put(dIn, d + ch, ta || tb || tc ? 0f : g);
          }
        }
      }
    }
  }

}
