package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.PodReadiness;
import dev.emnistfaas.faas.SetupFunction;
import java.util.concurrent.CompletableFuture;

/**
 * emnist-setup: validates a config, creates the job in Redis and starts the workers; reports status; looks after
 * the unfinished jobs every few seconds. Ready as soon as the entrypoint listens.
 */
public class Handler extends AbstractHandler {
  private final SetupFunction function = new SetupFunction(FunctionRuntime.fromEnvironment());

  public Handler() {
    FunctionRuntime.fromEnvironment().connectNow(SetupFunction.NAME, System.err);
    function.lookAfterJobs(SetupFunction.LOOK_AFTER_EVERY);
    PodReadiness.fromEnvironment(System.getenv()).ifPresent(r -> r.markReadyWhen(
        CompletableFuture.completedFuture(null), SetupFunction.NAME, System.err));
  }

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
