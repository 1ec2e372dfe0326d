package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.TrainFunction;

/** emnist-train: one slice of one Downpour worker. */
public class Handler extends AbstractHandler {
  private final TrainFunction function = new TrainFunction(FunctionRuntime.fromEnvironment(),
      System.getenv().getOrDefault("HOSTNAME", "unknown"));

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
