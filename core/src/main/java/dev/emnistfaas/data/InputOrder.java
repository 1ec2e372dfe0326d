package dev.emnistfaas.data;

/**
 * The order in which the network reads an image's 784 pixels (the rows of W1): first the inner 26×26
 * square, row by row in the stored layout, then the 108 pixels of the outer ring (stored row 0, stored row 27,
 * then stored columns 0 and 27 of rows 1 to 26, top to bottom).
 *
 * <p>Why: EMNIST centres each character inside a blank border, so the ring is blank in nearly every image
 * (measured: 0.037 % of the bymerge images have ink there, and 95 % of batches of 128 have none). For such a
 * batch the network's inputs 676 to 783 are all zero, and the two large matrix products can stop at input
 * 676: 14 % less work, approximating nothing, because the skipped terms are exact zeros.
 */
public final class InputOrder {
  /** Pixels of the inner square: the inputs that come first. */
  public static final int INNER = 676;

  private static final int SIDE = LabeledImages.SIDE;
  private static final int[] STORED = storedIndices();

  private InputOrder() {}

  /** The stored-layout index (row × 28 + column) of the pixel at network input {@code input}. */
  public static int storedIndex(int input) {
    return STORED[input];
  }

  private static int[] storedIndices() {
    int[] stored = new int[LabeledImages.PIXELS];
    int i = 0;
    for (int r = 1; r < SIDE - 1; r++) {
      for (int c = 1; c < SIDE - 1; c++) {
        stored[i++] = r * SIDE + c;
      }
    }
    for (int r : new int[] {0, SIDE - 1}) {
      for (int c = 0; c < SIDE; c++) {
        stored[i++] = r * SIDE + c;
      }
    }
    for (int c : new int[] {0, SIDE - 1}) {
      for (int r = 1; r < SIDE - 1; r++) {
        stored[i++] = r * SIDE + c;
      }
    }
    return stored;
  }
}
