package dev.emnistfaas.nn;

/**
 * A small, fast random generator (Steele, Lea and Flood's SplitMix64) whose whole state is one long, so a
 * worker can save it between slices and resume the exact same dropout sequence.
 */
public final class SplitMix64 {
  private long state;

  public SplitMix64(long state) {
    this.state = state;
  }

  public long state() {
    return state;
  }

  public void setState(long state) {
    this.state = state;
  }

  public long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1) with 24 random bits, float's precision. */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /** Standard normal by Box-Muller (initialisation only, not a hot path). */
  public double nextGaussian() {
    double u1 = ((nextLong() >>> 11) + 1) * 0x1.0p-53;
    double u2 = (nextLong() >>> 11) * 0x1.0p-53;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
