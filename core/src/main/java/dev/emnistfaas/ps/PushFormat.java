package dev.emnistfaas.ps;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a job's pushes travel to the store, and so how the store keeps the parameters.
 *
 * @param encoding dense or sparse
 * @param density sparse only: the share of the vector's entries a push sends (the largest of what the pusher has
 *     accrued); ignored for dense pushes
 */
public record PushFormat(Encoding encoding, double density) {
  /** Every push carries the whole vector; the store keeps float32. */
  public static final PushFormat DENSE = new PushFormat(Encoding.DENSE, 1);

  public enum Encoding {
    /**
     * The whole float32 vector: the pusher reads each shard (and its Adagrad accumulators), applies the rule and
     * writes the shard back in an optimistic transaction.
     */
    DENSE,
    /**
     * Threshold sparsification with the residual kept by the pusher (Strom 2015): a push sends only its largest
     * entries, as (index, increment) pairs that Redis adds in place to parameters kept as 32-bit fixed point
     * ({@code BITFIELD INCRBY}); what a push leaves out stays in the pusher's residual for the next one.
     */
    SPARSE;

    public static Encoding parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + s + "' is not one of " + names(), e);
      }
    }

    public static String names() {
      return Arrays.stream(values()).map(v -> v.name().toLowerCase(Locale.ROOT))
          .collect(Collectors.joining(", "));
    }
  }

  public PushFormat {
    if (encoding == null) {
      throw new IllegalArgumentException("a push format needs an encoding");
    }
    if (!(density > 0 && density <= 1)) {
      throw new IllegalArgumentException("push density must be in (0, 1], got " + density);
    }
  }

  public static PushFormat sparse(double density) {
    return new PushFormat(Encoding.SPARSE, density);
  }

  public boolean isSparse() {
    return encoding == Encoding.SPARSE;
  }
}
