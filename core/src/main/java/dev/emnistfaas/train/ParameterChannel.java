package dev.emnistfaas.train;

import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.ps.ParameterStore;

/**
 * How a Downpour worker's compute loop exchanges parameters with the store. {@link Inline} fetches and pushes
 * on the compute thread, which waits for every round trip. {@link Background} hands the accrued gradient to
 * a communication thread (Dean et al.'s "weakly synchronised threads"), which pushes it, receiving the fresh
 * parameters with the push's own read, and runs the worker's after-push duties (evaluation, stop check); the
 * compute thread picks the parameters up once a fetch is due and they have arrived, and waits only at the slice's
 * end. A dense push reads the parameters anyway, so every one of them fetches; a sparse push fetches only when a
 * fetch is due or waiting (the fetch is then most of its bytes).
 */
abstract class ParameterChannel implements AutoCloseable {
  /** What runs after each push: the evaluation turn and the stop check; returns true to stop. */
  @FunctionalInterface
  interface AfterPush {
    boolean stop();
  }

  protected final ParameterStore store;
  protected final ParameterStore.Pusher pusher;
  protected final AfterPush afterPush;
  protected final float[] transfer;
  protected long waitNanos;
  protected long pushes;
  protected volatile boolean stopRequested;

  ParameterChannel(ParameterStore.Pusher pusher, AfterPush afterPush) {
    this.store = pusher.store();
    this.pusher = pusher;
    this.afterPush = afterPush;
    this.transfer = new float[store.size()];
  }

  static ParameterChannel create(boolean background, ParameterStore.Pusher pusher, AfterPush afterPush) {
    return background ? new Background(pusher, afterPush) : new Inline(pusher, afterPush);
  }

  /**
   * Pushes the accrued gradient synchronously and zeroes it; with {@code fetchInto}, also writes there the
   * parameters the push left.
   */
  protected void pushNow(ParameterVector accrued, float[] fetchInto) {
    accrued.get(0, transfer, 0, transfer.length);
    if (fetchInto != null) {
      pusher.pushAndFetch(transfer, fetchInto);
    } else {
      pusher.push(transfer);
    }
    accrued.zero();
    pushes++;
  }

  /** Fetches synchronously into {@code params}: the start of a slice. */
  void fetchNow(ParameterVector params) {
    long t0 = System.nanoTime();
    store.fetch(transfer);
    params.set(transfer);
    waitNanos += System.nanoTime() - t0;
  }

  /**
   * At a push step: sends the accrued gradient (zeroing it) and returns true, or leaves it to grow while a
   * push is in flight and returns false. {@code fetchDue}: the next step starts with a fetch, which the push
   * can then serve from the parameters it reads anyway.
   */
  abstract boolean offerPush(ParameterVector accrued, boolean fetchDue);

  /**
   * Once a fetch is due: replaces {@code params} with fresh global parameters and returns true, or returns false
   * when none have arrived yet (the next push then fetches; call again at the next step).
   */
  abstract boolean refresh(ParameterVector params);

  /** At the slice's end: waits for pushes in flight and pushes what is left. */
  abstract void flush(ParameterVector accrued, boolean anyLeft);

  boolean stopRequested() {
    return stopRequested;
  }

  /** Seconds the compute thread spent waiting on the store. */
  double waitSeconds() {
    return waitNanos / 1e9;
  }

  long pushes() {
    return pushes;
  }

  @Override
  public void close() {}

  /** Push and fetch on the compute thread. */
  static final class Inline extends ParameterChannel {
    private final float[] fetched;
    /** {@link #fetched} holds the parameters a push returned for the fetch due right after it. */
    private boolean fetchedByPush;

    Inline(ParameterStore.Pusher pusher, AfterPush afterPush) {
      super(pusher, afterPush);
      this.fetched = new float[store.size()];
    }

    @Override
    boolean offerPush(ParameterVector accrued, boolean fetchDue) {
      long t0 = System.nanoTime();
      pushNow(accrued, fetchDue ? fetched : null);
      fetchedByPush = fetchDue;
      stopRequested |= afterPush.stop();
      waitNanos += System.nanoTime() - t0;
      return true;
    }

    @Override
    boolean refresh(ParameterVector params) {
      if (fetchedByPush) {
        params.set(fetched);
        fetchedByPush = false;
      } else {
        fetchNow(params);
      }
      return true;
    }

    @Override
    void flush(ParameterVector accrued, boolean anyLeft) {
      if (anyLeft) {
        offerPush(accrued, false);
      }
    }
  }

  /** Push, after-push duties and fetch on a thread of their own. */
  static final class Background extends ParameterChannel {
    private final Object lock = new Object();
    private final float[] outgoing;
    /** Dense pushes read the parameters anyway: every one returns them. */
    private final boolean everyPushFetches;
    private boolean outgoingFetches;
    private boolean fetchWaiting;
    private float[] fetched;
    private float[] spare;
    private boolean fresh;
    private boolean busy;
    private boolean closed;
    private RuntimeException failure;

    Background(ParameterStore.Pusher pusher, AfterPush afterPush) {
      super(pusher, afterPush);
      this.outgoing = new float[store.size()];
      this.everyPushFetches = !store.format().isSparse();
      this.fetched = new float[store.size()];
      this.spare = new float[store.size()];
      Thread thread = new Thread(this::run, "downpour-communication");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      while (true) {
        synchronized (lock) {
          while (!busy && !closed) {
            try {
              lock.wait();
            } catch (InterruptedException e) {
              return;
            }
          }
          if (closed) {
            return;
          }
        }
        try {
          boolean fetching;
          synchronized (lock) {
            fetching = outgoingFetches;
          }
          if (fetching) {
            pusher.pushAndFetch(outgoing, spare);
          } else {
            pusher.push(outgoing);
          }
          boolean stop = afterPush.stop();
          synchronized (lock) {
            if (fetching) {
              float[] t = fetched;
              fetched = spare;
              spare = t;
              fresh = true;
            }
            pushes++;
            stopRequested |= stop;
            busy = false;
            lock.notifyAll();
          }
        } catch (RuntimeException e) {
          synchronized (lock) {
            failure = e;
            busy = false;
            lock.notifyAll();
          }
          return;
        }
      }
    }

    private void checkFailure() {
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    boolean offerPush(ParameterVector accrued, boolean fetchDue) {
      synchronized (lock) {
        checkFailure();
        if (busy) {
          return false;
        }
        accrued.get(0, outgoing, 0, outgoing.length);
        accrued.zero();
        outgoingFetches = everyPushFetches || fetchDue || fetchWaiting;
        fetchWaiting &= !outgoingFetches;
        busy = true;
        lock.notifyAll();
        return true;
      }
    }

    @Override
    boolean refresh(ParameterVector params) {
      synchronized (lock) {
        checkFailure();
        if (!fresh) {
          fetchWaiting = true;
          return false;
        }
        params.set(fetched);
        fresh = false;
        return true;
      }
    }

    @Override
    void flush(ParameterVector accrued, boolean anyLeft) {
      long t0 = System.nanoTime();
      synchronized (lock) {
        while (busy) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while flushing pushes", e);
          }
        }
        checkFailure();
      }
      if (anyLeft) {
        pushNow(accrued, null);
      }
      waitNanos += System.nanoTime() - t0;
    }

    @Override
    public void close() {
      synchronized (lock) {
        closed = true;
        lock.notifyAll();
      }
    }
  }
}
