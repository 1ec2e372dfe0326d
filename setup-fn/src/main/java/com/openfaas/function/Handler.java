package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.SetupFunction;

/** emnist-setup: validates a config, creates the job in Redis and starts the workers; reports status. */
public class Handler extends AbstractHandler {
  private final SetupFunction function = new SetupFunction(FunctionRuntime.fromEnvironment());

  @Override
  public IResponse Handle(IRequest request) {
    return function.handle(request);
  }
}
