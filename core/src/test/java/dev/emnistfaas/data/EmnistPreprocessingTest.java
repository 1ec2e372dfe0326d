package dev.emnistfaas.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** EMNIST's own preprocessing, applied to pictures of EMNIST characters, gives back what EMNIST stored. */
class EmnistPreprocessingTest {
  /** Scale of the pictures made from 28×28 images: a canvas of 280 pixels, as the drawing page's. */
  private static final int SCALE = 10;

  /** Image {@code i} of {@code images} as a picture: upright, SCALE times larger, in the colours given. */
  private static BufferedImage picture(LabeledImages images, int i, boolean darkOnLight, boolean transparent) {
    int side = LabeledImages.SIDE;
    int[] upright = images.upright(i);
    BufferedImage p = new BufferedImage(side * SCALE, side * SCALE, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < side * SCALE; y++) {
      for (int x = 0; x < side * SCALE; x++) {
        int ink = upright[(y / SCALE) * side + x / SCALE];
        int argb;
        if (transparent) {
          argb = ink << 24; // black ink whose opacity is the ink, on nothing
        } else {
          int v = darkOnLight ? 255 - ink : ink;
          argb = 0xff000000 | v << 16 | v << 8 | v;
        }
        p.setRGB(x, y, argb);
      }
    }
    return p;
  }

  private static double correlation(int[] a, int[] b) {
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (a[i] - ma) * (b[i] - mb);
      aa += (a[i] - ma) * (a[i] - ma);
      bb += (b[i] - mb) * (b[i] - mb);
    }
    return ab / Math.sqrt(aa * bb);
  }

  private static int[] stored(LabeledImages images, int i) {
    int[] out = new int[LabeledImages.PIXELS];
    for (int p = 0; p < out.length; p++) {
      out[p] = images.pixel(i, p);
    }
    return out;
  }

  @Test
  void charactersDrawnTenTimesLargerComeBackAsEmnistStoredThem() {
    LabeledImages eval = RealData.dataset().eval();
    int n = 300;
    double sum = 0;
    double worst = 1;
    for (int i = 0; i < n; i++) {
      int[] back = EmnistPreprocessing.fromPicture(picture(eval, i, true, false));
      double r = correlation(stored(eval, i), back);
      sum += r;
      worst = Math.min(worst, r);
      assertEquals(255, java.util.Arrays.stream(back).max().orElseThrow(), "the brightest pixel of image " + i);
    }
    System.out.printf("preprocessing of %d enlarged EMNIST images: mean correlation with the original %.3f, "
        + "worst %.3f%n", n, sum / n, worst);
    assertTrue(sum / n > 0.9, "mean correlation " + sum / n);
  }

  @Test
  void inkIsWhatDiffersFromTheBorderWhateverTheColoursOrTransparency() {
    LabeledImages eval = RealData.dataset().eval();
    int[] darkOnLight = EmnistPreprocessing.fromPicture(picture(eval, 3, true, false));
    assertArrayEquals(darkOnLight, EmnistPreprocessing.fromPicture(picture(eval, 3, false, false)));
    assertArrayEquals(darkOnLight, EmnistPreprocessing.fromPicture(picture(eval, 3, true, true)));
  }

  @Test
  void theCharacterIsCentredWithTheBorderEmnistHas() {
    BufferedImage bar = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 200; y++) {
      for (int x = 0; x < 300; x++) {
        bar.setRGB(x, y, x >= 40 && x < 60 && y >= 20 && y < 180 ? 0 : 0xffffff);
      }
    }
    int[] upright = EmnistPreprocessing.uprightFromStored(EmnistPreprocessing.fromPicture(bar));
    int top = 28;
    int bottom = -1;
    int left = 28;
    int right = -1;
    for (int p = 0; p < upright.length; p++) {
      if (upright[p] > 0) {
        top = Math.min(top, p / 28);
        bottom = Math.max(bottom, p / 28);
        left = Math.min(left, p % 28);
        right = Math.max(right, p % 28);
      }
    }
    // A tall bar: upright, its long side spans the inner 24 rows (the blur's tail one more on each side at most),
    // and it sits in the middle columns.
    assertTrue(top >= 1 && top <= 2 && bottom >= 25 && bottom <= 26, "rows " + top + ".." + bottom);
    assertEquals(27 - right, left, 1, "columns " + left + ".." + right + " are not centred");
  }

  @Test
  void aBlankPictureIsRefusedInOurWords() {
    BufferedImage white = new BufferedImage(50, 50, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 50; y++) {
      for (int x = 0; x < 50; x++) {
        white.setRGB(x, y, 0xffffff);
      }
    }
    var e = assertThrows(EmnistPreprocessing.BlankPicture.class, () -> EmnistPreprocessing.fromPicture(white));
    assertTrue(e.getMessage().contains("no ink"), e.getMessage());
  }

  @Test
  void uprightAndStoredAreEachOthersTranspose() {
    LabeledImages eval = RealData.dataset().eval();
    assertArrayEquals(stored(eval, 0), EmnistPreprocessing.storedFromUpright(eval.upright(0)));
    assertArrayEquals(eval.upright(0), EmnistPreprocessing.uprightFromStored(stored(eval, 0)));
  }
}
