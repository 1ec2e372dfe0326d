package dev.emnistfaas.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class ParameterVectorTest {
  private static final MlpNetwork SHAPE = new MlpNetwork(784, 100, 47);

  @Test
  void layoutOfTheBymergeNetwork() {
    assertEquals(83_247, SHAPE.size());
    assertEquals(78_400, SHAPE.b1Offset());
    assertEquals(78_500, SHAPE.w2Offset());
    assertEquals(83_200, SHAPE.b2Offset());
  }

  @Test
  void layerViewsShareTheFlatVector() {
    ParameterVector p = ParameterVector.zeros(SHAPE);
    p.put(SHAPE.w1Offset() + 3 * 100 + 7, 1.5f);
    p.put(SHAPE.w2Offset() + 99 * 47 + 46, -2.5f);
    assertEquals(1.5f, p.w1().array().getFloat(3, 7), 0f);
    assertEquals(-2.5f, p.w2().array().getFloat(99, 46), 0f);
    p.w2().array().putScalar(new long[] {0, 1}, 4f);
    assertEquals(4f, p.get(SHAPE.w2Offset() + 1), 0f);
  }

  @Test
  void bytesAreLittleEndianFloat32AndRoundTrip() {
    ParameterVector p = ParameterVector.initial(SHAPE, 42);
    byte[] bytes = p.toBytes();
    assertEquals(SHAPE.size() * 4, bytes.length);
    ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(p.get(0), le.getFloat(0), 0f);
    assertEquals(p.get(SHAPE.size() - 48), le.getFloat((SHAPE.size() - 48) * 4), 0f);
    ParameterVector q = ParameterVector.zeros(SHAPE);
    q.setBytes(bytes);
    assertArrayEquals(p.toArray(), q.toArray(), 0f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.setBytes(new byte[12]));
    assertEquals("12 bytes do not hold 83247 float32 parameters of network mlp100", e.getMessage());
  }

  @Test
  void initialisationIsSeededAndScaledByFanIn() {
    float[] a = ParameterVector.initial(SHAPE, 1).toArray();
    assertArrayEquals(a, ParameterVector.initial(SHAPE, 1).toArray(), 0f);
    assertNotEquals(a[0], ParameterVector.initial(SHAPE, 2).toArray()[0]);
    double sq = 0;
    for (int i = 0; i < SHAPE.b1Offset(); i++) {
      sq += a[i] * a[i];
    }
    assertEquals(1.0 / 784, sq / SHAPE.b1Offset(), 0.05 / 784);
    for (int i = SHAPE.b1Offset(); i < SHAPE.w2Offset(); i++) {
      assertEquals(0f, a[i], 0f);
    }
  }

  @Test
  void addScaledScaleAndZeroCoverEveryParameterAndCheckTheSize() {
    ParameterVector p = ParameterVector.initial(SHAPE, 4);
    ParameterVector g = ParameterVector.initial(SHAPE, 5);
    float[] before = p.toArray();
    float[] step = g.toArray();
    p.addScaled(-0.5f, g);
    p.scale(2f);
    float[] after = p.toArray();
    for (int i = 0; i < after.length; i++) {
      assertEquals(2f * (before[i] - 0.5f * step[i]), after[i], 1e-6f, "parameter " + i);
    }
    p.zero();
    for (float v : p.toArray()) {
      assertEquals(0f, v, 0f);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.addScaled(1f, ParameterVector.zeros(new MlpNetwork(784, 10, 47))));
    assertEquals("8367 values for 83247 parameters of network " + SHAPE.name(), e.getMessage());
  }

  @Test
  void productsCheckShapes() {
    Matrix a = Matrix.zeros(2, 3);
    Matrix b = Matrix.zeros(4, 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Matrix.zeros(2, 5).setProduct(a, false, b, false, 0f));
    assertEquals("product 2x3 · 4x5 into 2x5", e.getMessage());
  }

  @Test
  void productsAreRight() {
    Matrix a = Matrix.zeros(2, 3);
    Matrix b = Matrix.zeros(2, 3);
    float[][] av = {{1, 2, 3}, {4, 5, 6}};
    float[][] bv = {{7, 8, 9}, {10, 11, 12}};
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        a.array().putScalar(new long[] {r, c}, av[r][c]);
        b.array().putScalar(new long[] {r, c}, bv[r][c]);
      }
    }
    Matrix abT = Matrix.zeros(2, 2);
    abT.setProduct(a, false, b, true, 0f);
    assertEquals(1 * 7 + 2 * 8 + 3 * 9, abT.array().getFloat(0, 0), 0f);
    assertEquals(4 * 10 + 5 * 11 + 6 * 12, abT.array().getFloat(1, 1), 0f);
    Matrix aTb = Matrix.zeros(3, 3);
    aTb.setProduct(a, true, b, false, 0f);
    assertEquals(1 * 9 + 4 * 12, aTb.array().getFloat(0, 2), 0f);
    aTb.setProduct(a, true, b, false, 1f);
    assertEquals(2 * (1 * 9 + 4 * 12), aTb.array().getFloat(0, 2), 0f);
  }

  @Test
  void productsOverLeadingInputsIgnoreTheRest() {
    Matrix a = Matrix.zeros(2, 3);
    Matrix b = Matrix.zeros(3, 2);
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        a.array().putScalar(new long[] {r, c}, 1 + r * 3 + c);
        b.array().putScalar(new long[] {c, r}, 10 * (1 + c) + r);
      }
    }
    Matrix ab = Matrix.zeros(2, 2);
    ab.setProductOverLeading(2, a, b);
    assertEquals(1 * 10 + 2 * 20, ab.array().getFloat(0, 0), 0f);
    assertEquals(4 * 11 + 5 * 21, ab.array().getFloat(1, 1), 0f);
    Matrix aTd = Matrix.zeros(3, 2);
    aTd.array().assign(-1f);
    aTd.setLeadingRowsToTransposedProduct(2, a, ab);
    assertEquals(1 * ab.array().getFloat(0, 1) + 4 * ab.array().getFloat(1, 1), aTd.array().getFloat(0, 1), 0f);
    assertEquals(2 * ab.array().getFloat(0, 0) + 5 * ab.array().getFloat(1, 0), aTd.array().getFloat(1, 0), 0f);
    assertEquals(-1f, aTd.array().getFloat(2, 0), 0f, "rows from the depth on are left as they were");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ab.setProductOverLeading(4, a, b));
    assertEquals("product over 4 of 2x3 · 3x2 into 2x2", e.getMessage());
  }
}
