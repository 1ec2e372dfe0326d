package dev.emnistfaas.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_saxpy;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sscal;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * All parameters of one network (or a gradient of them) in one flat float32 vector, off-heap in ND4J, with
 * matrix views per layer that share its memory. Its little-endian bytes are what the parameter store keeps.
 */
public final class ParameterVector {
  private final Network network;
  private final INDArray flat;
  /** The MLP's layer matrices; null for other networks. */
  private final Matrix w1;
  private final Matrix w2;
  private final FloatBuffer floats;
  private final FloatPointer pointer;
  /** A pointer to each of the network's parameter blocks ({@link Network#blockOffsets}). */
  private final FloatPointer[] blocks;

  private ParameterVector(Network network) {
    this.network = network;
    this.flat = Nd4j.create(DataType.FLOAT, network.size());
    DataBuffer data = flat.data();
    if (network instanceof MlpNetwork shape) {
      this.w1 = Matrix.of(view(data, shape.w1Offset(), shape.inputs(), shape.hidden()));
      this.w2 = Matrix.of(view(data, shape.w2Offset(), shape.hidden(), shape.classes()));
    } else {
      this.w1 = null;
      this.w2 = null;
    }
    this.floats = nativeFloats(flat);
    this.pointer = new FloatPointer(data.addressPointer());
    int[] offsets = network.blockOffsets();
    this.blocks = new FloatPointer[offsets.length];
    for (int i = 0; i < offsets.length; i++) {
      blocks[i] = new FloatPointer(pointer).position(offsets[i]);
    }
  }

  /** A vector of zeros. */
  public static ParameterVector zeros(Network network) {
    return new ParameterVector(network);
  }

  /** The network's seeded initial values ({@link Network#initialValues}). */
  public static ParameterVector initial(Network network, long seed) {
    ParameterVector p = new ParameterVector(network);
    p.set(network.initialValues(seed));
    return p;
  }

  private static INDArray view(DataBuffer data, long offset, int rows, int cols) {
    return Nd4j.create(data, new long[] {rows, cols}, new long[] {cols, 1}, offset, 'c');
  }

  /** A float buffer over an array's off-heap memory, in native byte order, for bulk copies without ND4J ops. */
  static FloatBuffer nativeFloats(INDArray array) {
    return new FloatPointer(array.data().addressPointer()).limit(array.length()).asBuffer();
  }

  public Network network() {
    return network;
  }

  public int size() {
    return network.size();
  }

  public INDArray flat() {
    return flat;
  }

  /** The MLP's W1 (inputs×hidden), a view of the flat vector. */
  Matrix w1() {
    return w1;
  }

  /** The MLP's W2 (hidden×classes), a view of the flat vector. */
  Matrix w2() {
    return w2;
  }

  /** A pointer to parameter block {@code i} of {@link Network#blockOffsets}, for BLAS. */
  FloatPointer block(int i) {
    return blocks[i];
  }

  /** Absolute-indexed view of the values; callers use absolute get/put so its position never matters. */
  FloatBuffer floats() {
    return floats;
  }

  public float get(int index) {
    return floats.get(index);
  }

  public void put(int index, float value) {
    floats.put(index, value);
  }

  public void get(int offset, float[] dst, int dstOffset, int length) {
    floats.get(offset, dst, dstOffset, length);
  }

  public void put(int offset, float[] src, int srcOffset, int length) {
    floats.put(offset, src, srcOffset, length);
  }

  public float[] toArray() {
    float[] out = new float[size()];
    floats.get(0, out, 0, out.length);
    return out;
  }

  public void set(float[] values) {
    checkLength(values.length);
    floats.put(0, values, 0, values.length);
  }

  /**
   * this ← this + alpha·x, one BLAS axpy on the resolved addresses: ND4J's own wrapper allocates about 400 bytes
   * a call (measured), and optimisers and workers call this every step.
   */
  public void addScaled(float alpha, ParameterVector x) {
    checkLength(x.size());
    cblas_saxpy(size(), alpha, x.pointer, 1, pointer, 1);
  }

  /** this ← alpha·this. */
  public void scale(float alpha) {
    cblas_sscal(size(), alpha, pointer, 1);
  }

  public void fill(float value) {
    flat.assign(value);
  }

  /**
   * Sets every value to 0 with one memset: ND4J's assign, which {@link #fill} uses, allocates about 2.5 KB a call
   * and takes 18-58 µs against 7 µs (measured), and workers zero their accrued gradient at every push.
   */
  public void zero() {
    Pointer.memset(pointer, 0, (long) size() * Float.BYTES);
  }

  /** The values as little-endian float32 bytes: the parameter store's wire and storage format. */
  public byte[] toBytes() {
    ByteBuffer out = ByteBuffer.allocate(size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    writeTo(out);
    return out.array();
  }

  /** Writes the values as little-endian float32 at {@code out}'s position and advances it. */
  public void writeTo(ByteBuffer out) {
    out.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(floats.duplicate().position(0));
    out.position(out.position() + size() * Float.BYTES);
  }

  /** Reads little-endian float32 bytes; the length must be exactly this vector's. */
  public void setBytes(byte[] bytes) {
    if (bytes.length != size() * Float.BYTES) {
      throw new IllegalArgumentException(
          bytes.length + " bytes do not hold " + size() + " float32 parameters of network " + network.name());
    }
    FloatBuffer src = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    floats.duplicate().position(0).put(src);
  }

  private void checkLength(int length) {
    if (length != size()) {
      throw new IllegalArgumentException(length + " values for " + size() + " parameters of network " + network.name());
    }
  }
}
