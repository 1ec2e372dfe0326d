package dev.emnistfaas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The real bymerge files: counts, the seeded split and the shards. */
class EmnistDatasetTest {

  @Test
  void bymergeTestFileHasOfficialCountsAndIsSplitNinetyTen() {
    EmnistDataset d = RealData.dataset();
    assertEquals(EmnistSplit.BYMERGE, d.split());
    assertEquals(116_323, d.train().size() + d.eval().size());
    assertEquals(47, d.train().classes());
    assertEquals(47, d.train().mapping().labelCount());
    assertEquals(11_632, d.eval().size());
    assertEquals(104_691, d.train().size());
    assertTrue(d.description().contains("only the official test set is present"), d.description());
    assertTrue(d.description().contains("seed 7"), d.description());
    assertEquals("0", d.train().mapping().character(0));
    assertEquals("A", d.train().mapping().character(10));
    assertEquals("t", d.train().mapping().character(46));
  }

  @Test
  void everyClassOccursInBothParts() {
    EmnistDataset d = RealData.dataset();
    for (LabeledImages part : new LabeledImages[] {d.train(), d.eval()}) {
      int[] counts = new int[47];
      for (int i = 0; i < part.size(); i++) {
        counts[part.label(i)]++;
      }
      for (int c = 0; c < 47; c++) {
        assertTrue(counts[c] > 0, "class " + c + " missing");
      }
    }
  }

  @Test
  void splitIsDeterministicAndDisjoint() {
    EmnistDataset a = RealData.dataset();
    EmnistDataset b = EmnistDataset.load(EmnistDataset.Source.of(RealData.dir()));
    assertEquals(fingerprints(a.train()), fingerprints(b.train()));
    assertEquals(fingerprints(a.eval()), fingerprints(b.eval()));

    EmnistDataset other = EmnistDataset.load(
        new EmnistDataset.Source(RealData.dir(), java.util.Optional.empty(), 0.1, 8));
    assertNotEquals(fingerprints(a.eval()), fingerprints(other.eval()), "another seed, another split");

    // Disjoint: no (image, label) of the evaluation part occurs in training, beyond true duplicates in
    // the source file, which we count in the whole file first.
    Set<String> seen = new HashSet<>();
    int duplicatesInFile = 0;
    for (LabeledImages part : new LabeledImages[] {a.train(), a.eval()}) {
      for (int i = 0; i < part.size(); i++) {
        duplicatesInFile += seen.add(fingerprint(part, i)) ? 0 : 1;
      }
    }
    Set<String> train = new HashSet<>(fingerprints(a.train()));
    long shared = fingerprints(a.eval()).stream().filter(train::contains).count();
    assertTrue(shared <= duplicatesInFile, shared + " shared vs " + duplicatesInFile + " duplicates in the file");
  }

  @Test
  void shardsAreDisjointCoverEverythingAndDifferByAtMostOne() {
    LabeledImages train = RealData.dataset().train();
    for (int workers : new int[] {1, 3, 6, 7}) {
      int total = 0;
      int min = Integer.MAX_VALUE;
      int max = 0;
      int offset = 0;
      for (int w = 0; w < workers; w++) {
        LabeledImages shard = train.shard(w, workers);
        total += shard.size();
        min = Math.min(min, shard.size());
        max = Math.max(max, shard.size());
        // Each shard is the next block of the training order: together they are the training part again.
        for (int i = 0; i < shard.size(); i++, offset++) {
          assertEquals(train.label(offset), shard.label(i));
          if (i % 997 == 0) {
            assertEquals(fingerprint(train, offset), fingerprint(shard, i));
          }
        }
      }
      assertEquals(train.size(), total);
      assertTrue(max - min <= 1, workers + " workers: sizes " + min + ".." + max);
    }
    assertEquals(fingerprints(train.shard(1, 3)), fingerprints(train.shard(1, 3)));
  }

  @Test
  void uprightViewTransposesTheStoredImage() {
    LabeledImages train = RealData.dataset().train();
    int[] up = train.upright(5);
    for (int r = 0; r < 28; r++) {
      for (int c = 0; c < 28; c++) {
        assertEquals(train.pixel(5, c * 28 + r), up[r * 28 + c]);
      }
    }
    assertEquals(28 * 29, train.render(5).length());
  }

  private static java.util.List<String> fingerprints(LabeledImages images) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      out.add(fingerprint(images, i));
    }
    return out;
  }

  private static String fingerprint(LabeledImages images, int i) {
    int[] px = new int[LabeledImages.PIXELS];
    for (int p = 0; p < px.length; p++) {
      px[p] = images.pixel(i, p);
    }
    return images.label(i) + ":" + Arrays.hashCode(px);
  }

  @Test
  void copyScaledMapsBytesToUnitIntervalInInputOrderAndSkipsABlankRing() {
    LabeledImages train = RealData.dataset().train();
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocateDirect(2 * LabeledImages.PIXELS * 4)
        .order(java.nio.ByteOrder.nativeOrder());
    for (int q = 0; q < 2 * LabeledImages.PIXELS; q++) {
      bytes.putFloat(q * 4, -1f);
    }
    assertEquals(InputOrder.INNER, train.copyScaled(new int[] {7, 3, 9}, 1, 2, bytes));
    float[] out = new float[2 * LabeledImages.PIXELS];
    bytes.asFloatBuffer().get(out);
    int nonZero = 0;
    for (int i = 0; i < InputOrder.INNER; i++) {
      float a = train.pixel(3, InputOrder.storedIndex(i)) / 255f;
      float b = train.pixel(9, InputOrder.storedIndex(i)) / 255f;
      assertEquals(a, out[i], Math.ulp(a), "input " + i);
      assertEquals(b, out[LabeledImages.PIXELS + i], Math.ulp(b), "input " + i);
      nonZero += a > 0 ? 1 : 0;
    }
    assertTrue(nonZero > 50, "image 3 has only " + nonZero + " lit pixels");
    for (int i = InputOrder.INNER; i < LabeledImages.PIXELS; i++) {
      assertEquals(0, train.pixel(3, InputOrder.storedIndex(i)), "ring pixel " + i + " of image 3");
      assertEquals(-1f, out[i], "a blank ring is not written");
    }
  }

  @Test
  void inkOnTheRingOfOneImageWritesEveryImagesRing() {
    byte[] px = new byte[2 * LabeledImages.PIXELS];
    for (int p = 0; p < px.length; p++) {
      px[p] = (byte) (p * 7 % 13 == 0 ? 0 : p * 31);
    }
    int[] ringPixels = {0, 27, 28, 55, 13 * 28, 13 * 28 + 27, 756, 783};
    LabeledImages blank = new LabeledImages(blankRing(px.clone()), new byte[2], LabelMapping.of(new int[] {'a'}));
    for (int stored : ringPixels) {
      byte[] inked = blankRing(px.clone());
      inked[LabeledImages.PIXELS + stored] = (byte) 200;
      LabeledImages images = new LabeledImages(inked, new byte[2], LabelMapping.of(new int[] {'a'}));
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocateDirect(2 * LabeledImages.PIXELS * 4)
          .order(java.nio.ByteOrder.nativeOrder());
      assertEquals(LabeledImages.PIXELS, images.copyScaled(new int[] {0, 1}, 0, 2, bytes), "ink at " + stored);
      assertEquals(InputOrder.INNER, blank.copyScaled(new int[] {0, 1}, 0, 2, bytes));
      for (int k = 0; k < 2; k++) {
        for (int i = 0; i < LabeledImages.PIXELS; i++) {
          float want = images.pixel(k, InputOrder.storedIndex(i)) / 255f;
          assertEquals(want, bytes.getFloat((k * LabeledImages.PIXELS + i) * 4), Math.ulp(want),
              "image " + k + " input " + i + " with ink at " + stored);
        }
      }
    }
  }

  private static byte[] blankRing(byte[] px) {
    for (int k = 0; k < px.length / LabeledImages.PIXELS; k++) {
      for (int i = InputOrder.INNER; i < LabeledImages.PIXELS; i++) {
        px[k * LabeledImages.PIXELS + InputOrder.storedIndex(i)] = 0;
      }
    }
    return px;
  }

  @Test
  void inputOrderIsAPermutationWithTheInnerSquareFirst() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < LabeledImages.PIXELS; i++) {
      int stored = InputOrder.storedIndex(i);
      int r = stored / LabeledImages.SIDE;
      int c = stored % LabeledImages.SIDE;
      boolean onRing = r == 0 || c == 0 || r == LabeledImages.SIDE - 1 || c == LabeledImages.SIDE - 1;
      assertEquals(i >= InputOrder.INNER, onRing, "input " + i + " is stored pixel (" + r + ", " + c + ")");
      assertTrue(seen.add(stored), "stored pixel " + stored + " twice");
    }
    assertEquals(LabeledImages.PIXELS, seen.size());
    assertEquals(1 * 28 + 1, InputOrder.storedIndex(0));
    assertEquals(1 * 28 + 2, InputOrder.storedIndex(1));
    assertEquals(2 * 28 + 1, InputOrder.storedIndex(26));
  }
}
