package dev.emnistfaas.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EpochCursorTest {
  /** Stopping and resuming from (epoch, position) at arbitrary batches neither skips nor repeats a sample. */
  @Test
  void resumedEpochsVisitEverySampleExactlyOnce() {
    int size = 1003;
    int batch = 32;
    int[][] visits = new int[4][size];
    SplittableRandom r = new SplittableRandom(5);
    EpochCursor cursor = new EpochCursor(size, 42, 1, 0);
    int resumes = 0;
    while (cursor.epoch() <= 3) {
      int rows = cursor.nextRows(batch);
      for (int k = 0; k < rows; k++) {
        visits[cursor.epoch()][cursor.order()[cursor.position() + k]]++;
      }
      cursor.advance(rows);
      if (r.nextInt(5) == 0) {
        cursor = new EpochCursor(size, 42, cursor.epoch(), cursor.position());
        resumes++;
      }
    }
    for (int e = 1; e <= 3; e++) {
      for (int i = 0; i < size; i++) {
        assertEquals(1, visits[e][i], "epoch " + e + " sample " + i);
      }
    }
    assertEquals(true, resumes > 10);
  }

  @Test
  void epochsHaveDifferentOrders() {
    EpochCursor a = new EpochCursor(100, 1, 1, 0);
    int first = a.order()[0];
    int second = a.order()[1];
    a.advance(100);
    assertEquals(2, a.epoch());
    assertEquals(0, a.position());
    assertEquals(false, a.order()[0] == first && a.order()[1] == second);
  }
}
