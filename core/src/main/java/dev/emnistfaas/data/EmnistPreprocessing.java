package dev.emnistfaas.data;

import java.awt.image.BufferedImage;

/**
 * Turns a picture of one handwritten character into a 28×28 image the way EMNIST made its images from NIST's
 * (Cohen et al. 2017, section II-A): a Gaussian blur, the region of interest cropped to the ink, centred in a
 * square with the aspect ratio kept and a 2-pixel border, down-sampled to 28×28 with an anti-aliased bicubic
 * filter (as MATLAB's {@code imresize}, which they used), intensities scaled to 0..255; and finally EMNIST's
 * stored, transposed layout, which is what the network reads.
 *
 * <p>Measured on bymerge: the ink's bounding box has a longer side of 24 (core) to 26 (the blur's tail) pixels
 * and every image's brightest pixel is 255; this keeps both.
 */
public final class EmnistPreprocessing {
  /** Pixels between the character's bounding box and the image's edge, on the longer side. */
  static final int BORDER = 2;
  /** Ink below this (0..1, after the blur) is background when the character is cropped. */
  private static final float INK_THRESHOLD = 0.05f;
  /** The blur's sigma as a share of the character's longer side: NIST's sigma of 1 at its 128-pixel scale. */
  private static final double SIGMA_PER_SIDE = 1.0 / 128;

  private EmnistPreprocessing() {}

  /** Thrown when a picture holds no ink at all. */
  public static final class BlankPicture extends IllegalArgumentException {
    BlankPicture() {
      super("the picture holds no ink: draw a character (dark on light or light on dark)");
    }
  }

  /**
   * A picture of any size, colour or transparency: the ink is what differs from the background, which is the
   * picture's border (transparent pixels count as white). Returns 784 values 0..255 in the stored layout.
   */
  public static int[] fromPicture(BufferedImage picture) {
    int w = picture.getWidth();
    int h = picture.getHeight();
    float[] ink = new float[w * h];
    double border = 0;
    int borderPixels = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int argb = picture.getRGB(x, y);
        double alpha = (argb >>> 24) / 255.0;
        double luma = (0.299 * ((argb >> 16) & 0xff) + 0.587 * ((argb >> 8) & 0xff) + 0.114 * (argb & 0xff)) / 255;
        float light = (float) (alpha * luma + (1 - alpha));
        ink[y * w + x] = light;
        if (y == 0 || x == 0 || y == h - 1 || x == w - 1) {
          border += light;
          borderPixels++;
        }
      }
    }
    boolean darkInk = border / borderPixels >= 0.5;
    for (int i = 0; i < ink.length; i++) {
      ink[i] = darkInk ? 1 - ink[i] : ink[i];
    }
    return fromInk(ink, w, h);
  }

  /** A character as a person reads it: 784 values 0..255, row-major; returns the stored (transposed) layout. */
  public static int[] storedFromUpright(int[] upright) {
    int side = LabeledImages.SIDE;
    int[] stored = new int[LabeledImages.PIXELS];
    for (int r = 0; r < side; r++) {
      for (int c = 0; c < side; c++) {
        stored[c * side + r] = upright[r * side + c];
      }
    }
    return stored;
  }

  /** The inverse of {@link #storedFromUpright}: the transpose is its own inverse. */
  public static int[] uprightFromStored(int[] stored) {
    return storedFromUpright(stored);
  }

  /** Ink (0..1, row-major, {@code w}×{@code h}) → 784 values 0..255 in the stored layout. */
  static int[] fromInk(float[] ink, int w, int h) {
    int[] box = inkBox(ink, w, h, 0);
    if (box == null) {
      throw new BlankPicture();
    }
    double sigma = Math.max(box[2] - box[0], box[3] - box[1]) * SIGMA_PER_SIDE;
    float[] blurred = sigma < 0.3 ? ink : gaussianBlur(ink, w, h, sigma);
    box = inkBox(blurred, w, h, INK_THRESHOLD);
    if (box == null) {
      throw new BlankPicture();
    }
    int boxW = box[2] - box[0];
    int boxH = box[3] - box[1];
    // The square that becomes 28×28: the box's longer side fills the inner 28 - 2·BORDER pixels.
    int side = LabeledImages.SIDE;
    double squareSide = Math.max(boxW, boxH) * (double) side / (side - 2 * BORDER);
    int n = (int) Math.ceil(squareSide);
    float[] square = new float[n * n];
    int offX = (n - boxW) / 2;
    int offY = (n - boxH) / 2;
    for (int y = 0; y < boxH; y++) {
      System.arraycopy(blurred, (box[1] + y) * w + box[0], square, (offY + y) * n + offX, boxW);
    }
    float[] small = Resampling.bicubic(square, n, n, side, side);
    float max = 0;
    for (float v : small) {
      max = Math.max(max, v);
    }
    int[] upright = new int[LabeledImages.PIXELS];
    for (int i = 0; i < upright.length; i++) {
      upright[i] = Math.round(Math.max(0, Math.min(1, small[i] / max)) * 255);
    }
    return storedFromUpright(upright);
  }

  /** {x0, y0, x1, y1} (exclusive ends) of the values above {@code threshold}, or null when there are none. */
  private static int[] inkBox(float[] ink, int w, int h, float threshold) {
    int x0 = w;
    int y0 = h;
    int x1 = -1;
    int y1 = -1;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (ink[y * w + x] > threshold) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    }
    return x1 < 0 ? null : new int[] {x0, y0, x1 + 1, y1 + 1};
  }

  /** A separable Gaussian blur (kernel to 3 sigma, edges clamped). */
  private static float[] gaussianBlur(float[] in, int w, int h, double sigma) {
    int radius = (int) Math.ceil(3 * sigma);
    float[] kernel = new float[2 * radius + 1];
    double sum = 0;
    for (int i = -radius; i <= radius; i++) {
      kernel[i + radius] = (float) Math.exp(-i * i / (2 * sigma * sigma));
      sum += kernel[i + radius];
    }
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] /= (float) sum;
    }
    float[] rows = new float[in.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float acc = 0;
        for (int k = -radius; k <= radius; k++) {
          acc += kernel[k + radius] * in[y * w + Math.min(w - 1, Math.max(0, x + k))];
        }
        rows[y * w + x] = acc;
      }
    }
    float[] out = new float[in.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float acc = 0;
        for (int k = -radius; k <= radius; k++) {
          acc += kernel[k + radius] * rows[Math.min(h - 1, Math.max(0, y + k)) * w + x];
        }
        out[y * w + x] = acc;
      }
    }
    return out;
  }
}
