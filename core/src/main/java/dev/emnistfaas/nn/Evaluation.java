package dev.emnistfaas.nn;

/** How a network did on a set of images. */
public record Evaluation(int correct, int count, double meanLoss) {
  public double accuracy() {
    return count == 0 ? 0 : (double) correct / count;
  }
}
