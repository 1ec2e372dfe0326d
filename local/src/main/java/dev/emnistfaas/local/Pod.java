package dev.emnistfaas.local;

import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/** One replica of a function: serves one request at a time, like the OpenFaaS Java entrypoint. */
final class Pod {
  private final String name;
  private final Function<IRequest, IResponse> handler;
  private final Semaphore serving = new Semaphore(1, true);
  private volatile Thread current;
  private volatile boolean killed;
  private final long readyAtNanos;

  Pod(String name, Function<IRequest, IResponse> handler, java.time.Duration coldStart) {
    this.name = name;
    this.handler = handler;
    this.readyAtNanos = System.nanoTime() + coldStart.toNanos();
  }

  String name() {
    return name;
  }

  /** Serves {@code request}, waiting while the pod is busy. */
  IResponse serve(IRequest request) throws InterruptedException {
    serving.acquire();
    return serveAcquired(request);
  }

  private IResponse serveAcquired(IRequest request) {
    current = Thread.currentThread();
    try {
      long starting = readyAtNanos - System.nanoTime();
      if (starting > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(starting); // still starting: the call waits, as on a fresh pod
      }
      IResponse response = handler.apply(request);
      if (killed) {
        // The caller of a killed pod gets the gateway's answer, not the dying handler's.
        com.openfaas.model.Response bad = new com.openfaas.model.Response();
        bad.setStatusCode(502);
        bad.setBody("upstream pod " + name + " died mid-request\n");
        return bad;
      }
      return response;
    } finally {
      killed = false;
      current = null;
      Thread.interrupted();
      serving.release();
    }
  }

  /**
   * Kills the call in progress, as a pod dying mid-request would: its thread is interrupted, and its caller gets
   * 502, as from the gateway. The pod then serves new calls, like its replacement. (Unlike a real kill, the
   * handler's own clean-up still runs; the end-to-end suite kills real pods.)
   */
  boolean kill() {
    Thread t = current;
    if (t == null) {
      return false;
    }
    killed = true;
    t.interrupt();
    return true;
  }

  /** Serves {@code request} only if the pod is idle; null when it is busy (of-watchdog answers 429). */
  IResponse serveIfIdle(IRequest request) {
    if (!serving.tryAcquire()) {
      return null;
    }
    return serveAcquired(request);
  }
}
