package dev.emnistfaas.train;

/**
 * Where a worker is in its pass over its shard: the epoch (from 1) and the position in that epoch's seeded
 * order. Saved between slices and restored from those two numbers alone, so a resumed epoch visits every
 * sample exactly once: the order is recomputed from (seed, epoch) and continues at the cursor.
 */
public final class EpochCursor {
  private final int size;
  private final long seed;
  private int epoch;
  private int position;
  private int[] order;

  public EpochCursor(int size, long seed, int epoch, int position) {
    if (size < 1 || epoch < 1 || position < 0 || position >= size) {
      throw new IllegalArgumentException("cursor at epoch " + epoch + ", position " + position + " of " + size);
    }
    this.size = size;
    this.seed = seed;
    this.epoch = epoch;
    this.position = position;
    this.order = EpochOrder.of(size, seed, epoch);
  }

  public int epoch() {
    return epoch;
  }

  public int position() {
    return position;
  }

  /** The shard's size: an epoch's length. */
  public int size() {
    return size;
  }

  /** The current epoch's order; the next batch starts at {@link #position}. */
  public int[] order() {
    return order;
  }

  /** Rows of the next batch: {@code batch}, or fewer at the end of an epoch. */
  public int nextRows(int batch) {
    return Math.min(batch, size - position);
  }

  /** Moves past a batch of {@code rows}; returns true when that finished the epoch (and starts the next). */
  public boolean advance(int rows) {
    position += rows;
    if (position < size) {
      return false;
    }
    epoch++;
    position = 0;
    order = EpochOrder.of(size, seed, epoch);
    return true;
  }
}
