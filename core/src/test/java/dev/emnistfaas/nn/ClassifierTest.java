package dev.emnistfaas.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emnistfaas.RealData;
import dev.emnistfaas.data.LabeledImages;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One image at a time in plain Java answers as the batched training pass does. */
class ClassifierTest {
  @Test
  void itPredictsWhatTheBatchedPassPredictsWithProbabilitiesThatSumToOne() {
    LabeledImages eval = RealData.dataset().eval();
    MlpNetwork shape = new MlpNetwork(LabeledImages.PIXELS, 100, eval.classes());
    ParameterVector params = ParameterVector.initial(shape, 3);
    Classifier classifier = new Classifier(ModelFile.of(params, eval.mapping()));
    int n = 512;
    MlpPass pass = new MlpPass(shape, n);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    pass.load(eval, order, 0);
    pass.evaluate(params, n);
    int same = 0;
    for (int i = 0; i < n; i++) {
      int[] stored = new int[LabeledImages.PIXELS];
      for (int p = 0; p < stored.length; p++) {
        stored[p] = eval.pixel(i, p);
      }
      double[] p = classifier.probabilities(stored);
      assertEquals(1.0, java.util.Arrays.stream(p).sum(), 1e-9);
      int arg = 0;
      for (int c = 1; c < p.length; c++) {
        arg = p[c] > p[arg] ? c : arg;
      }
      same += arg == pass.predicted(i) ? 1 : 0;
      List<Classifier.Guess> top = classifier.top(stored, 5);
      assertEquals(5, top.size());
      assertEquals(eval.mapping().character(arg).substring(0, 1), top.get(0).character());
      for (int k = 1; k < top.size(); k++) {
        assertTrue(top.get(k - 1).probability() >= top.get(k).probability());
      }
    }
    // The training pass's tanh and exp are fast approximations: a near tie may go the other way, rarely.
    assertTrue(same >= n - 3, same + " of " + n + " predictions agree");
  }

  @Test
  void anImageOfTheWrongSizeIsRefused() {
    LabeledImages eval = RealData.dataset().eval();
    MlpNetwork shape = new MlpNetwork(LabeledImages.PIXELS, 10, eval.classes());
    Classifier classifier = new Classifier(ModelFile.of(ParameterVector.initial(shape, 1), eval.mapping()));
    var e = assertThrows(IllegalArgumentException.class, () -> classifier.probabilities(new int[100]));
    assertEquals("an image has 784 pixels, got 100", e.getMessage());
  }
}
