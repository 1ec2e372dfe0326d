package dev.emnistfaas.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A row-major float matrix in ND4J memory (a whole array or a view into the flat parameter vector), with its
 * native address resolved once so that products go straight to ND4J's BLAS (OpenBLAS) sgemm.
 *
 * <p>Why not {@code Nd4j.gemm}: at this network's shapes it spends about 20 µs a call building and checking
 * an op before BLAS runs (measured; the smallest product itself takes 2 µs), and a training step makes five.
 */
public final class Matrix {
  private final INDArray array;
  private final FloatPointer pointer;
  private final int rows;
  private final int cols;

  private Matrix(INDArray array) {
    if (array.rank() != 2 || array.ordering() != 'c' || array.stride(1) != 1 || array.stride(0) != array.size(1)) {
      throw new IllegalArgumentException("need a contiguous row-major matrix, got " + array.shapeInfoToString());
    }
    this.array = array;
    this.rows = (int) array.size(0);
    this.cols = (int) array.size(1);
    this.pointer = new FloatPointer(array.data().addressPointer());
  }

  /** A new zero matrix. */
  public static Matrix zeros(int rows, int cols) {
    return new Matrix(Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, new long[] {rows, cols}, 'c'));
  }

  /** Wraps an existing contiguous row-major array or view, sharing its memory. */
  public static Matrix of(INDArray array) {
    return new Matrix(array);
  }

  public INDArray array() {
    return array;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  FloatPointer pointer() {
    return pointer;
  }

  /**
   * this ← op(a)·op(b) + beta·this, where op transposes when asked. Shapes are checked: a mismatch would
   * otherwise read or write outside the matrices.
   */
  public void setProduct(Matrix a, boolean transposeA, Matrix b, boolean transposeB, float beta) {
    int m = transposeA ? a.cols : a.rows;
    int k = transposeA ? a.rows : a.cols;
    int kb = transposeB ? b.cols : b.rows;
    int n = transposeB ? b.rows : b.cols;
    if (k != kb || m != rows || n != cols) {
      throw new IllegalArgumentException(String.format("product %s%dx%d · %s%dx%d into %dx%d",
          transposeA ? "T" : "", a.rows, a.cols, transposeB ? "T" : "", b.rows, b.cols, rows, cols));
    }
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        m, n, k, 1f, a.pointer, a.cols, b.pointer, b.cols, beta, pointer, cols);
  }

  /**
   * this ← a[:, 0..depth)·b[0..depth, :]: the product over only the first {@code depth} columns of a and rows
   * of b, for when the rest of a's columns are zero.
   */
  public void setProductOverLeading(int depth, Matrix a, Matrix b) {
    if (a.cols != b.rows || a.rows != rows || b.cols != cols || depth < 1 || depth > a.cols) {
      throw new IllegalArgumentException(String.format("product over %d of %dx%d · %dx%d into %dx%d",
          depth, a.rows, a.cols, b.rows, b.cols, rows, cols));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, depth, 1f, a.pointer, a.cols, b.pointer,
        b.cols, 0f, pointer, cols);
  }

  /**
   * this[0..depth, :] ← a[:, 0..depth)ᵀ·b, leaving this's other rows as they are: the rows of aᵀ·b that
   * are not zero when a's columns from {@code depth} on are.
   */
  public void setLeadingRowsToTransposedProduct(int depth, Matrix a, Matrix b) {
    if (a.rows != b.rows || a.cols != rows || b.cols != cols || depth < 1 || depth > a.cols) {
      throw new IllegalArgumentException(String.format("leading %d rows of T%dx%d · %dx%d into %dx%d",
          depth, a.rows, a.cols, b.rows, b.cols, rows, cols));
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, depth, cols, a.rows, 1f, a.pointer, a.cols, b.pointer,
        b.cols, 0f, pointer, cols);
  }
}
