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
 * emnist-train: one slice of one Downpour worker. The pod warms up (data, ND4J, the JIT) as soon as it starts; it
 * connects to Redis once the warm-up's first training step has run (or the warm-up failed), so that a cold start's
 * first step has the CPU to itself, and becomes ready once the warm-up is done and the entrypoint listens.
 */
public class Handler extends AbstractHandler {
  private final TrainFunction function;

  public Handler() {
    FunctionSettings settings = FunctionSettings.fromEnvironment();
    CompletableFuture<Void> firstStep = new CompletableFuture<>();
    CompletableFuture<Void> warm = TrainFunction.warmUpInBackground(settings.defaults(), System.err,
        () -> firstStep.complete(null));
    warm.whenComplete((done, failure) -> firstStep.complete(null));
    firstStep.join();
    FunctionRuntime runtime = new FunctionRuntime(settings);
    runtime.connectNow(TrainFunction.NAME, System.err);
    function = new TrainFunction(runtime, System.getenv().getOrDefault("HOSTNAME", "unknown"), System.err, warm);
    PodReadiness.fromEnvironment(System.getenv()).ifPresent(r -> r.markReadyWhen(warm, TrainFunction.NAME, System.err));
  }

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
