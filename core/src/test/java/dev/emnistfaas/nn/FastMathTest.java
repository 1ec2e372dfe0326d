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
