package dev.emnistfaas.nn;

/**
 * How a network did on a set of images: top-1 {@link #accuracy} and {@code balancedAccuracy}, the mean over the
 * classes present of each class's recall (bymerge's classes are far from equally common: its top-1 can rise while
 * rare characters are never read right).
 */
public record Evaluation(int correct, int count, double meanLoss, double balancedAccuracy) {
  public double accuracy() {
    return count == 0 ? 0 : (double) correct / count;
  }
}
