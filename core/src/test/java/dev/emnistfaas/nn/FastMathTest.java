package dev.emnistfaas.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FastMathTest {
  @Test
  void tanhWithinTwoTenMillionthsEverywhere() {
    double worst = 0;
    for (float x = -20f; x <= 20f; x += 0.00037f) {
      worst = Math.max(worst, Math.abs(FastTanh.tanh(x) - Math.tanh(x)));
    }
    assertTrue(worst < 2e-7 * 2, "max error " + worst);
    assertEquals(1f, FastTanh.tanh(100f), 1e-7f);
    assertEquals(-1f, FastTanh.tanh(-100f), 1e-7f);
    assertEquals(0f, FastTanh.tanh(0f), 0f);
  }

  @Test
  void vectorKernelsAgreeWithTheScalarFunctions() {
    int n = 1000;
    float[] v = new float[n];
    float[] bias = new float[100];
    for (int i = 0; i < n; i++) {
      v[i] = (i - 500) * 0.0271f;
    }
    for (int j = 0; j < 100; j++) {
      bias[j] = j * 0.01f - 0.5f;
    }
    float[] tanh = v.clone();
    VectorKernels.addBiasTanh(tanh, bias, 10, 100);
    float[] exp = v.clone();
    VectorKernels.exp(exp, n - 3); // a length that leaves a scalar tail
    for (int i = 0; i < n; i++) {
      assertEquals(FastTanh.tanh(v[i] + bias[i % 100]), tanh[i], 1e-7f, "tanh at " + i);
      if (i < n - 3) {
        float e = FastExp.exp(v[i]);
        assertEquals(e, exp[i], Math.ulp(e) * 2, "exp at " + i);
      } else {
        assertEquals(v[i], exp[i], 0f, "exp wrote past its length at " + i);
      }
    }
  }

  @Test
  void expWithinFloatPrecisionOverTheSoftmaxRange() {
    double worst = 0;
    for (float x = -80f; x <= 10f; x += 0.0013f) {
      double exact = Math.exp(x);
      worst = Math.max(worst, Math.abs(FastExp.exp(x) - exact) / exact);
    }
    assertTrue(worst < 3e-7, "max relative error " + worst);
    assertEquals(1f, FastExp.exp(0f), 0f);
    assertTrue(FastExp.exp(-1000f) >= 0f && FastExp.exp(-1000f) < 1e-37f);
  }
}
