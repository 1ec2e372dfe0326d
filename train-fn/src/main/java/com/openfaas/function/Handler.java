package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.TrainFunction;

/** emnist-train: one slice of one Downpour worker. The pod warms up (data, ND4J) as soon as it starts. */
public class Handler extends AbstractHandler {
  private final TrainFunction function = new TrainFunction(FunctionRuntime.fromEnvironment(),
      System.getenv().getOrDefault("HOSTNAME", "unknown"));

  public Handler() {
    function.warmUpInBackground();
  }

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
