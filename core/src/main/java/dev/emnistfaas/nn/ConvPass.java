package dev.emnistfaas.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.ConvNetwork.Stage;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Forward and backward passes of a {@link ConvNetwork} over batches of a fixed number of images, every buffer
 * allocated once, off the heap.
 *
 * <p>A convolution is im2col + sgemm: the patches of a few images at a time are copied into rows of a patch matrix
 * small enough to stay in the core's cache (about {@link #PATCH_FLOATS} floats; on the heap, then in bulk off it:
 * see {@link Patches}), and one OpenBLAS sgemm multiplies it by the layer's weights straight into the channels-last
 * output. The backward pass copies the same patches
 * again rather than keeping them (re-copying from cache is cheaper than reading a whole batch's patch matrix back
 * from memory), multiplies them by the output gradient into the weight gradient, and, except for the first layer,
 * multiplies the output gradient by the weights into patch gradients that col2im adds back into the input's
 * gradient. Dense layers are one sgemm each over the whole batch. The element-wise work in between runs in the
 * vector kernels of {@link NativeKernels} on the same off-heap memory.
 */
final class ConvPass extends SoftmaxPass {
  /** Floats of the patch matrix a convolution fills at a time: 256 KB, in a core's L2 cache with room to spare. */
  static final int PATCH_FLOATS = 64 * 1024;

  private final ConvNetwork network;
  private final List<Stage> stages;
  private final NativeFloats input;
  /** Each stage's output: after ReLU (and dropout) for hidden layers, the logits then probabilities for the last. */
  private final NativeFloats[] out;
  /** The loss gradient with respect to each stage's output; null when not training. */
  private final NativeFloats[] dOut;
  private final NativeFloats[] mask;
  private final float[] maskValues;
  private final NativeFloats patches;
  /** Heap copies for im2col and col2im ({@link Patches}): a chunk's input images, and its patch rows. */
  private final float[] chunkInput;
  private final float[] chunkPatches;
  /** Per convolution stage: images per patch chunk, and pointers at each chunk's first output and gradient row. */
  private final int[] chunkImages;
  private final FloatPointer[][] outChunk;
  private final FloatPointer[][] dOutChunk;
  /** The parameter block index of each stage's weights (its biases are the next block); -1 for pooling. */
  private final int[] weightBlock;
  private final int[] blockOffsets;
  private final float[][] bias;
  private final float[][] biasGrad;
  private final float[] logits;
  private final float[] logitGrad;
  private boolean masked;

  ConvPass(ConvNetwork network, int rows, boolean training) {
    super(rows, training);
    this.network = network;
    this.stages = network.stages();
    int n = stages.size();
    input = new NativeFloats(rows * LabeledImages.PIXELS);
    out = new NativeFloats[n];
    dOut = new NativeFloats[n];
    mask = new NativeFloats[n];
    chunkImages = new int[n];
    outChunk = new FloatPointer[n][];
    dOutChunk = new FloatPointer[n][];
    weightBlock = new int[n];
    blockOffsets = network.blockOffsets();
    bias = new float[n][];
    biasGrad = new float[n][];
    int patchFloats = 1;
    int inputFloats = 1;
    int maxMask = 1;
    int block = 0;
    for (int i = 0; i < n; i++) {
      Stage s = stages.get(i);
      out[i] = new NativeFloats(rows * s.outFloats());
      dOut[i] = training ? new NativeFloats(rows * s.outFloats()) : null;
      weightBlock[i] = s.kind() == Stage.Kind.POOL ? -1 : block;
      if (s.kind() != Stage.Kind.POOL) {
        block += 2;
        bias[i] = new float[s.outChannels()];
        biasGrad[i] = new float[s.outChannels()];
      }
      if (s.kind() == Stage.Kind.DENSE) {
        mask[i] = new NativeFloats(rows * s.outChannels());
        maxMask = Math.max(maxMask, rows * s.outChannels());
      }
      if (s.kind() == Stage.Kind.CONV) {
        int perImage = s.outSide() * s.outSide() * s.weightRows();
        int images = Math.max(1, Math.min(rows, PATCH_FLOATS / perImage));
        chunkImages[i] = images;
        patchFloats = Math.max(patchFloats, images * perImage);
        inputFloats = Math.max(inputFloats, images * s.inFloats());
        int chunks = (rows + images - 1) / images;
        outChunk[i] = new FloatPointer[chunks];
        dOutChunk[i] = new FloatPointer[chunks];
        for (int c = 0; c < chunks; c++) {
          long at = (long) c * images * s.outFloats();
          outChunk[i][c] = out[i].at(at);
          dOutChunk[i][c] = training ? dOut[i].at(at) : null;
        }
      }
    }
    patches = new NativeFloats(patchFloats);
    chunkInput = new float[inputFloats];
    chunkPatches = new float[patchFloats];
    maskValues = new float[maxMask];
    int classes = network.classes();
    logits = new float[rows * classes];
    logitGrad = new float[rows * classes];
  }

  @Override
  public void load(LabeledImages images, int[] indices, int from) {
    images.copyScaledStored(indices, from, rows, input.bytes());
    loadLabels(images, indices, from);
  }

  private NativeFloats in(int i) {
    return i == 0 ? input : out[i - 1];
  }

  @Override
  double forward(ParameterVector params, float dropout, SplitMix64 random) {
    masked = dropout > 0f;
    double loss = 0;
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      if (s.kind() != Stage.Kind.POOL) {
        params.get(blockOffsets[weightBlock[i] + 1], bias[i], 0, s.outChannels());
      }
      switch (s.kind()) {
        case CONV -> convForward(i, s, params);
        case POOL -> NativeKernels.maxPool(in(i).bytes(), out[i].bytes(), rows, s.inSide(), s.inChannels());
        case DENSE -> {
          dense(i, s, params);
          NativeKernels.addBiasRelu(out[i].bytes(), 0, rows, s.outChannels(), bias[i]);
          if (masked) {
            int units = rows * s.outChannels();
            SoftmaxLoss.fillDropoutMask(maskValues, units, dropout, random);
            mask[i].pointer().put(maskValues, 0, units);
            NativeKernels.multiply(out[i].bytes(), mask[i].bytes(), units);
          }
        }
        case OUTPUT -> {
          dense(i, s, params);
          out[i].pointer().get(logits, 0, logits.length);
          loss = SoftmaxLoss.forward(logits, bias[i], rows, s.outChannels(), labels, predicted, rowLoss);
        }
      }
    }
    return loss;
  }

  /** out[i] ← in · W (bias and activation are the caller's). */
  private void dense(int i, Stage s, ParameterVector params) {
    int inputs = s.inFloats();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, s.outChannels(), inputs, 1f, in(i).pointer(),
        inputs, params.block(weightBlock[i]), s.outChannels(), 0f, out[i].pointer(), s.outChannels());
  }

  private void convForward(int i, Stage s, ParameterVector params) {
    int k = s.weightRows();
    int pixels = s.outSide() * s.outSide();
    for (int c = 0, first = 0; first < rows; c++, first += chunkImages[i]) {
      int count = Math.min(chunkImages[i], rows - first);
      copyPatches(i, s, first, count);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, count * pixels, s.outChannels(), k, 1f,
          patches.pointer(), k, params.block(weightBlock[i]), s.outChannels(), 0f, outChunk[i][c], s.outChannels());
      NativeKernels.addBiasRelu(out[i].bytes(), first * pixels * s.outChannels(), count * pixels, s.outChannels(),
          bias[i]);
    }
  }

  /** Fills the off-heap patch matrix with the patches of images {@code [first, first+count)} of stage i's input. */
  private void copyPatches(int i, Stage s, int first, int count) {
    int inputs = count * s.inFloats();
    in(i).read((long) first * s.inFloats(), chunkInput, 0, inputs);
    Patches.im2col(chunkInput, count, s.inSide(), s.inChannels(), s.kernel(), chunkPatches);
    patches.write(0, chunkPatches, 0, count * s.outSide() * s.outSide() * s.weightRows());
  }

  @Override
  void backward(ParameterVector params, ParameterVector grad) {
    int last = stages.size() - 1;
    int classes = network.classes();
    SoftmaxLoss.gradient(logits, labels, rows, classes, logitGrad);
    dOut[last].pointer().put(logitGrad, 0, logitGrad.length);
    for (int i = last; i >= 0; i--) {
      Stage s = stages.get(i);
      switch (s.kind()) {
        case OUTPUT -> {
          java.util.Arrays.fill(biasGrad[i], 0f);
          NativeKernels.addColumnSums(dOut[i].bytes(), rows, classes, biasGrad[i]);
          denseBackward(i, s, params, grad);
        }
        case DENSE -> {
          java.util.Arrays.fill(biasGrad[i], 0f);
          if (masked) {
            NativeKernels.multiply(dOut[i].bytes(), mask[i].bytes(), rows * s.outChannels());
          }
          NativeKernels.reluBackward(dOut[i].bytes(), out[i].bytes(), 0, rows, s.outChannels(), biasGrad[i]);
          denseBackward(i, s, params, grad);
        }
        case POOL -> NativeKernels.maxPoolBackward(in(i).bytes(), out[i].bytes(), dOut[i].bytes(),
            dOut[i - 1].bytes(), rows, s.inSide(), s.inChannels());
        case CONV -> convBackward(i, s, params, grad);
      }
    }
  }

  /** The weight and bias gradients of a dense stage from its output gradient, and its input's gradient. */
  private void denseBackward(int i, Stage s, ParameterVector params, ParameterVector grad) {
    int inputs = s.inFloats();
    int units = s.outChannels();
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, inputs, units, rows, 1f, in(i).pointer(), inputs,
        dOut[i].pointer(), units, 0f, grad.block(weightBlock[i]), units);
    grad.put(blockOffsets[weightBlock[i] + 1], biasGrad[i], 0, units);
    if (i > 0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, inputs, units, 1f, dOut[i].pointer(), units,
          params.block(weightBlock[i]), units, 0f, dOut[i - 1].pointer(), inputs);
    }
  }

  private void convBackward(int i, Stage s, ParameterVector params, ParameterVector grad) {
    int k = s.weightRows();
    int channels = s.outChannels();
    int pixels = s.outSide() * s.outSide();
    java.util.Arrays.fill(biasGrad[i], 0f);
    for (int c = 0, first = 0; first < rows; c++, first += chunkImages[i]) {
      int count = Math.min(chunkImages[i], rows - first);
      int at = first * pixels * channels;
      NativeKernels.reluBackward(dOut[i].bytes(), out[i].bytes(), at, count * pixels, channels, biasGrad[i]);
      copyPatches(i, s, first, count);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, channels, count * pixels, 1f, patches.pointer(), k,
          dOutChunk[i][c], channels, first == 0 ? 0f : 1f, grad.block(weightBlock[i]), channels);
      if (i > 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, count * pixels, k, channels, 1f, dOutChunk[i][c],
            channels, params.block(weightBlock[i]), channels, 0f, patches.pointer(), k);
        int inputs = count * s.inFloats();
        patches.read(0, chunkPatches, 0, count * pixels * k);
        java.util.Arrays.fill(chunkInput, 0, inputs, 0f);
        Patches.col2im(chunkPatches, count, s.inSide(), s.inChannels(), s.kernel(), chunkInput);
        dOut[i - 1].write((long) first * s.inFloats(), chunkInput, 0, inputs);
      }
    }
    grad.put(blockOffsets[weightBlock[i] + 1], biasGrad[i], 0, channels);
  }
}
