package dev.emnistfaas.ps;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Pushers of the store tests racing each other: one thread each, released together. */
final class ConcurrentPushers {
  private ConcurrentPushers() {}

  /** What pusher {@code pusher} (0..n-1) does on its thread. */
  @FunctionalInterface
  interface Work<T> {
    T run(int pusher) throws Exception;
  }

  /** The gradient entry {@code i} of push {@code push} of pusher {@code pusher}. */
  @FunctionalInterface
  interface Gradient {
    float at(int pusher, int push, int i);
  }

  /** Runs {@code work} for pushers 0..n-1 at once; returns their results in pusher order. */
  static <T> List<T> run(int n, Work<T> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      final int pusher = t;
      futures.add(pool.submit(() -> {
        go.await();
        return work.run(pusher);
      }));
    }
    go.countDown();
    List<T> results = new ArrayList<>();
    try {
      for (Future<T> f : futures) {
        results.add(f.get());
      }
    } finally {
      pool.shutdown();
    }
    return results;
  }

  /** {@code initial} after SGD at rate 1 applied every push of every pusher. */
  static float[] afterEveryPush(float[] initial, int pushers, int pushesEach, Gradient gradient) {
    float[] expected = initial.clone();
    for (int t = 0; t < pushers; t++) {
      for (int k = 0; k < pushesEach; k++) {
        for (int i = 0; i < expected.length; i++) {
          expected[i] -= gradient.at(t, k, i);
        }
      }
    }
    return expected;
  }
}
