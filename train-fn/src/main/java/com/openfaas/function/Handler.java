package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.FunctionSettings;
import dev.emnistfaas.faas.PodReadiness;
import dev.emnistfaas.faas.TrainFunction;
import java.util.concurrent.CompletableFuture;

/**
 * emnist-train: one slice of one Downpour worker. The pod warms up (data, ND4J, the JIT) as soon as it starts,
 * before it connects to Redis, and becomes ready once that is done and the entrypoint listens.
 */
public class Handler extends AbstractHandler {
  private final TrainFunction function;

  public Handler() {
    FunctionSettings settings = FunctionSettings.fromEnvironment();
    CompletableFuture<Void> warm = TrainFunction.warmUpInBackground(settings.defaults(), System.err);
    function = new TrainFunction(new FunctionRuntime(settings), System.getenv().getOrDefault("HOSTNAME", "unknown"),
        System.err, warm);
    PodReadiness.fromEnvironment(System.getenv()).ifPresent(r -> r.markReadyWhen(warm, TrainFunction.NAME, System.err));
  }

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
