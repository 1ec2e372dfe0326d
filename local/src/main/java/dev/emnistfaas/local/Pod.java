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

  Pod(String name, Function<IRequest, IResponse> handler) {
    this.name = name;
    this.handler = handler;
  }

  String name() {
    return name;
  }

  /** Serves {@code request}, waiting while the pod is busy. */
  IResponse serve(IRequest request) throws InterruptedException {
    serving.acquire();
    try {
      return handler.apply(request);
    } finally {
      serving.release();
    }
  }

  /** Serves {@code request} only if the pod is idle; null when it is busy (of-watchdog answers 429). */
  IResponse serveIfIdle(IRequest request) {
    if (!serving.tryAcquire()) {
      return null;
    }
    try {
      return handler.apply(request);
    } finally {
      serving.release();
    }
  }
}
