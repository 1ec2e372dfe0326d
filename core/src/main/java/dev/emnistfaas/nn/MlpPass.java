package dev.emnistfaas.nn;

import dev.emnistfaas.data.InputOrder;
import dev.emnistfaas.data.LabeledImages;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Forward and backward passes over batches of a fixed number of rows, with every buffer allocated once.
 *
 * <p>The five matrix products run in ND4J's BLAS on off-heap matrices; the weights and weight gradients are
 * views of the flat parameter and gradient vectors, read and written in place. The element-wise work between
 * them (bias, tanh, dropout, softmax, deltas) is a few thousand floats per batch, too small for ND4J's
 * per-operation overhead to pay off (measured: ~10 µs an op), so it runs in Java vector loops on heap copies
 * moved in bulk (the six copies of a batch of 128 take 6.5 µs).
 *
 * <p>The two products with the input (x·W1 and xᵀ·d1) stop at the last input that can be non-zero in the
 * loaded batch: {@link InputOrder} puts the ring of pixels that EMNIST leaves blank last.
 */
public final class MlpPass extends SoftmaxPass {
  private final MlpNetwork shape;

  private final Matrix x;
  private final Matrix a1;
  private final Matrix h;
  private final Matrix z;
  private final Matrix d2;
  private final Matrix dh;
  private final Matrix d1;
  private final ByteBuffer xNative;
  private final FloatBuffer a1Native;
  private final FloatBuffer hNative;
  private final FloatBuffer zNative;
  private final FloatBuffer d2Native;
  private final FloatBuffer dhNative;
  private final FloatBuffer d1Native;
  /** How many leading inputs of the loaded batch may be non-zero; the rest are zero in every row. */
  private int inputsUsed;
  /** Zeros for the W1 gradient rows of inputs past {@link #inputsUsed}. */
  private final float[] blankRows;

  private final float[] act;
  private final float[] hs;
  private final float[] mask;
  /** Whether the last forward pass applied {@link #mask} (dropout); without it the backward pass skips it. */
  private boolean masked;
  private final float[] zs;
  private final float[] ds;
  private final float[] b1;
  private final float[] b2;
  private final float[] gb1;
  private final float[] gb2;

  public MlpPass(MlpNetwork shape, int rows) {
    super(rows, true);
    if (shape.inputs() != LabeledImages.PIXELS) {
      throw new IllegalArgumentException("a batch holds 28x28 images: the network needs " + LabeledImages.PIXELS
          + " inputs, not " + shape.inputs());
    }
    this.shape = shape;
    int in = shape.inputs();
    int hid = shape.hidden();
    int out = shape.classes();
    x = Matrix.zeros(rows, in);
    a1 = Matrix.zeros(rows, hid);
    h = Matrix.zeros(rows, hid);
    z = Matrix.zeros(rows, out);
    d2 = Matrix.zeros(rows, out);
    dh = Matrix.zeros(rows, hid);
    d1 = Matrix.zeros(rows, hid);
    xNative = new FloatPointer(x.array().data().addressPointer()).limit(x.array().length()).asByteBuffer()
        .order(ByteOrder.nativeOrder());
    a1Native = ParameterVector.nativeFloats(a1.array());
    hNative = ParameterVector.nativeFloats(h.array());
    zNative = ParameterVector.nativeFloats(z.array());
    d2Native = ParameterVector.nativeFloats(d2.array());
    dhNative = ParameterVector.nativeFloats(dh.array());
    d1Native = ParameterVector.nativeFloats(d1.array());
    inputsUsed = in;
    blankRows = new float[Math.max(0, in - InputOrder.INNER) * hid];
    act = new float[rows * hid];
    hs = new float[rows * hid];
    mask = new float[rows * hid];
    zs = new float[rows * out];
    ds = new float[rows * Math.max(hid, out)];
    b1 = new float[hid];
    b2 = new float[out];
    gb1 = new float[hid];
    gb2 = new float[out];
  }

  /**
   * How many leading inputs the products with the input use for the loaded batch: {@link InputOrder#INNER}
   * when its ring is blank, otherwise all of them.
   */
  public int inputsUsed() {
    return inputsUsed;
  }

  /** Loads images {@code indices[from .. from+rows)} as the next batch. */
  @Override
  public void load(LabeledImages images, int[] indices, int from) {
    inputsUsed = images.copyScaled(indices, from, rows, xNative);
    loadLabels(images, indices, from);
  }

  @Override
  double forward(ParameterVector params, float dropout, SplitMix64 random) {
    int hid = shape.hidden();
    int out = shape.classes();
    a1.setProductOverLeading(inputsUsed, x, params.w1());
    a1Native.get(0, act, 0, rows * hid);
    params.get(shape.b1Offset(), b1, 0, hid);
    VectorKernels.addBiasTanh(act, b1, rows, hid);
    masked = dropout > 0f;
    if (masked) {
      SoftmaxLoss.fillDropoutMask(mask, mask.length, dropout, random);
      multiply(act, mask, hs, rows * hid);
      hNative.put(0, hs, 0, rows * hid);
    } else {
      hNative.put(0, act, 0, rows * hid);
    }
    z.setProduct(h, false, params.w2(), false, 0f);
    zNative.get(0, zs, 0, rows * out);
    params.get(shape.b2Offset(), b2, 0, out);
    return SoftmaxLoss.forward(zs, b2, rows, out, labels, predicted, rowLoss);
  }

  private static void multiply(float[] a, float[] b, float[] out, int n) {
    for (int i = 0; i < n; i++) {
      out[i] = a[i] * b[i];
    }
  }

  @Override
  void backward(ParameterVector params, ParameterVector grad) {
    int hid = shape.hidden();
    int out = shape.classes();
    SoftmaxLoss.gradient(zs, labels, rows, out, ds);
    VectorKernels.columnSums(ds, rows, out, gb2);
    d2Native.put(0, ds, 0, rows * out);
    grad.put(shape.b2Offset(), gb2, 0, out);
    grad.w2().setProduct(h, true, d2, false, 0f);
    dh.setProduct(d2, false, params.w2(), true, 0f);
    dhNative.get(0, ds, 0, rows * hid);
    VectorKernels.tanhBackward(ds, act, masked ? mask : null, gb1, rows, hid);
    d1Native.put(0, ds, 0, rows * hid);
    grad.put(shape.b1Offset(), gb1, 0, hid);
    grad.w1().setLeadingRowsToTransposedProduct(inputsUsed, x, d1);
    grad.put(shape.w1Offset() + inputsUsed * hid, blankRows, 0, (shape.inputs() - inputsUsed) * hid);
  }
}
