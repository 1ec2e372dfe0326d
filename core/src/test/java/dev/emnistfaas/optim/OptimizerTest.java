package dev.emnistfaas.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.emnistfaas.nn.MlpNetwork;
import dev.emnistfaas.nn.ParameterVector;
import org.junit.jupiter.api.Test;

class OptimizerTest {
  private static final MlpNetwork SHAPE = new MlpNetwork(4, 3, 2);

  private static ParameterVector filled(float v) {
    ParameterVector p = ParameterVector.zeros(SHAPE);
    p.fill(v);
    return p;
  }

  @Test
  void sgdSubtractsScaledGradient() {
    ParameterVector w = filled(1f);
    Optimizer.create(new OptimizerSetting(OptimizerSetting.Kind.SGD, 0.5, 0), SHAPE).apply(w, filled(2f));
    for (float v : w.toArray()) {
      assertEquals(0f, v, 0f);
    }
  }

  @Test
  void momentumAccumulatesVelocity() {
    ParameterVector w = filled(0f);
    Optimizer m = Optimizer.create(new OptimizerSetting(OptimizerSetting.Kind.MOMENTUM, 0.1, 0.9), SHAPE);
    m.apply(w, filled(1f));
    m.apply(w, filled(1f));
    // v1 = 1, w1 = -0.1; v2 = 0.9 + 1 = 1.9, w2 = -0.1 - 0.19 = -0.29
    for (float v : w.toArray()) {
      assertEquals(-0.29f, v, 1e-6f);
    }
  }

  @Test
  void adagradScalesByRootOfSummedSquares() {
    ParameterVector w = filled(0f);
    Optimizer a = Optimizer.create(new OptimizerSetting(OptimizerSetting.Kind.ADAGRAD, 0.1, 0), SHAPE);
    a.apply(w, filled(2f));
    a.apply(w, filled(1f));
    // step 1: acc 4, w -= 0.1*2/2 = 0.1; step 2: acc 5, w -= 0.1*1/sqrt(5)
    double expected = -0.1 - 0.1 / Math.sqrt(5);
    for (float v : w.toArray()) {
      assertEquals(expected, v, 1e-6);
    }
  }

  @Test
  void settingsRejectNonsense() {
    assertEquals("learning rate must be > 0, got -1.0", assertThrows(IllegalArgumentException.class,
        () -> new OptimizerSetting(OptimizerSetting.Kind.SGD, -1, 0)).getMessage());
    assertEquals("unknown optimizer 'adam'; expected sgd, momentum or adagrad",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSetting.Kind.parse("adam")).getMessage());
  }
}
