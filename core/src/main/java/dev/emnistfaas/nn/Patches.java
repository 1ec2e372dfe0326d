package dev.emnistfaas.nn;

import java.util.Arrays;

/**
 * im2col and its adjoint for 'same' padding, on heap copies of a few channels-last images: the patch copies are
 * short runs (K·channels floats: 3 for a first convolution, 48 for a second), which System.arraycopy and the JIT's
 * bounds-check elimination handle far better than per-run accesses to an off-heap buffer (measured: im2col's
 * copies took about half of a c16k3-p2-c32k3-p2-f128 step that way). The caller moves the images and patches
 * between the heap and the off-heap buffers BLAS reads in bulk, at memcpy speed.
 */
final class Patches {
  private Patches() {}

  /**
   * One row per output pixel of the {@code count} images in {@code in} (from index 0): its K×K×channels patch
   * (kernel row, kernel column, channel), zeros outside the image.
   */
  static void im2col(float[] in, int count, int side, int channels, int k, float[] col) {
    int pad = k / 2;
    int run = k * channels;
    int dst = 0;
    for (int img = 0; img < count; img++) {
      int base = img * side * side * channels;
      for (int i = 0; i < side; i++) {
        for (int j = 0; j < side; j++) {
          int c0 = j - pad;
          int lo = Math.max(0, -c0);
          int hi = Math.min(k, side - c0);
          for (int kh = 0; kh < k; kh++, dst += run) {
            int r = i + kh - pad;
            if (r < 0 || r >= side) {
              Arrays.fill(col, dst, dst + run, 0f);
              continue;
            }
            if (lo > 0) {
              Arrays.fill(col, dst, dst + lo * channels, 0f);
            }
            System.arraycopy(in, base + (r * side + c0 + lo) * channels, col, dst + lo * channels,
                (hi - lo) * channels);
            if (hi < k) {
              Arrays.fill(col, dst + hi * channels, dst + run, 0f);
            }
          }
        }
      }
    }
  }

  /** The adjoint of {@link #im2col}: adds each patch row of {@code col} back into {@code dIn}, zeroed by the caller. */
  static void col2im(float[] col, int count, int side, int channels, int k, float[] dIn) {
    int pad = k / 2;
    int run = k * channels;
    int src = 0;
    for (int img = 0; img < count; img++) {
      int base = img * side * side * channels;
      for (int i = 0; i < side; i++) {
        for (int j = 0; j < side; j++) {
          int c0 = j - pad;
          int lo = Math.max(0, -c0);
          int hi = Math.min(k, side - c0);
          for (int kh = 0; kh < k; kh++, src += run) {
            int r = i + kh - pad;
            if (r >= 0 && r < side) {
              int from = src + lo * channels;
              int to = base + (r * side + c0 + lo) * channels;
              for (int x = 0, n = (hi - lo) * channels; x < n; x++) {
                dIn[to + x] += col[from + x];
              }
            }
          }
        }
      }
    }
  }
}
