package dev.emnistfaas.nn;

import dev.emnistfaas.data.LabeledImages;

/**
 * Scores parameters on one fixed set of images (forward passes without dropout, in chunks), reusing its
 * buffers across calls so that frequent evaluation during training allocates nothing.
 */
public final class Evaluator {
  private final LabeledImages images;
  private final BatchPass pass;
  private final int[] order;
  /** Per class: images of the class, and of those, how many the last evaluation read right. */
  private final int[] classCount;
  private final int[] classCorrect;

  public Evaluator(Network network, LabeledImages images) {
    if (images.size() == 0) {
      throw new IllegalArgumentException("no images to evaluate on");
    }
    this.images = images;
    this.pass = network.newPass(Math.min(network.evaluationRows(), images.size()), false);
    int rows = pass.rows();
    // Padded to whole chunks with image 0; the padding rows are computed and not counted.
    this.order = new int[(images.size() + rows - 1) / rows * rows];
    for (int i = 0; i < images.size(); i++) {
      order[i] = i;
    }
    this.classCount = new int[images.classes()];
    this.classCorrect = new int[images.classes()];
    for (int i = 0; i < images.size(); i++) {
      classCount[images.label(i)]++;
    }
  }

  public Evaluation evaluate(ParameterVector params) {
    return evaluate(params, null);
  }

  /** Scores {@code params}; when {@code confusion} is given, adds counts[true label][predicted] to it. */
  public Evaluation evaluate(ParameterVector params, int[][] confusion) {
    int correct = 0;
    double loss = 0;
    java.util.Arrays.fill(classCorrect, 0);
    int rows = pass.rows();
    for (int from = 0; from < images.size(); from += rows) {
      int n = Math.min(rows, images.size() - from);
      pass.load(images, order, from);
      correct += pass.evaluate(params, n);
      loss += pass.lastLoss();
      for (int k = 0; k < n; k++) {
        int label = images.label(from + k);
        int predicted = pass.predicted(k);
        classCorrect[label] += predicted == label ? 1 : 0;
        if (confusion != null) {
          confusion[label][predicted]++;
        }
      }
    }
    double recalls = 0;
    int present = 0;
    for (int c = 0; c < classCount.length; c++) {
      if (classCount[c] > 0) {
        recalls += (double) classCorrect[c] / classCount[c];
        present++;
      }
    }
    return new Evaluation(correct, images.size(), loss / images.size(), present == 0 ? 0 : recalls / present);
  }
}
