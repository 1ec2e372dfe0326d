package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.PodReadiness;
import dev.emnistfaas.faas.PredictFunction;
import java.util.concurrent.CompletableFuture;

/**
 * emnist-predict: reads a handwritten character with a trained job's model, and serves the drawing page. Ready as
 * soon as the entrypoint listens (a model is loaded on its first use).
 */
public class Handler extends AbstractHandler {
  private final PredictFunction function = new PredictFunction(FunctionRuntime.fromEnvironment());

  public Handler() {
    // Without Redis the pod still starts, and serves its baked models.
    FunctionRuntime.fromEnvironment().connectNow(PredictFunction.NAME, System.err);
    PodReadiness.fromEnvironment(System.getenv()).ifPresent(r -> r.markReadyWhen(
        CompletableFuture.completedFuture(null), PredictFunction.NAME, System.err));
  }

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
