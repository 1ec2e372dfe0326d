package dev.emnistfaas.local;

import dev.emnistfaas.faas.ApiAccess;
import dev.emnistfaas.faas.FunctionRuntime;
import dev.emnistfaas.faas.FunctionSettings;
import dev.emnistfaas.faas.PredictFunction;
import dev.emnistfaas.faas.Quotas;
import dev.emnistfaas.faas.SetupFunction;
import dev.emnistfaas.faas.SignedCalls;
import dev.emnistfaas.faas.TrainFunction;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Everything a training run needs on one machine: Redis (embedded unless a URL is given), the local gateway,
 * and both functions deployed on it, reached exactly as on a cluster.
 */
public final class LocalRuntime implements AutoCloseable {
  private final EmbeddedRedis embedded;
  private final LocalGateway gateway;
  private final FunctionRuntime functions;
  private final String apiToken;
  /** The emnist-setup pods, each looking after the unfinished jobs until the runtime closes. */
  private final List<SetupFunction> setupPods = new CopyOnWriteArrayList<>();

  /** A runtime with an API token of its own, kept nowhere (tests): its {@link #client} sends it. */
  public LocalRuntime(GatewaySettings gatewaySettings, Optional<RedisSettings> redis, TrainingConfig defaults) {
    this(gatewaySettings, redis, defaults, LocalApiToken.ephemeral());
  }

  /** A runtime whose functions want {@code apiToken} (see ApiAccess) to change and to read. */
  public LocalRuntime(GatewaySettings gatewaySettings, Optional<RedisSettings> redis, TrainingConfig defaults,
      String apiToken) {
    this(gatewaySettings, redis, defaults, apiToken, 0);
  }

  /** As above, with the gateway on loopback port {@code port} (0: a free one). */
  public LocalRuntime(GatewaySettings gatewaySettings, Optional<RedisSettings> redis, TrainingConfig defaults,
      String apiToken, int port) {
    this.apiToken = apiToken;
    // The gateway first: a port in use is refused before Redis starts.
    this.gateway = new LocalGateway(gatewaySettings, port);
    this.embedded = redis.isPresent() ? null : EmbeddedRedis.start();
    RedisSettings redisSettings = redis.orElseGet(() -> RedisSettings.local(embedded.url()));
    this.functions = new FunctionRuntime(new FunctionSettings(gateway.url(), gateway.url(), Optional.empty(),
        redisSettings, Duration.ofDays(1), defaults, new ApiAccess(Optional.of(apiToken), ApiAccess.ReadAccess.TOKEN),
        Quotas.DEFAULT, SignedCalls.ephemeral(Duration.ofDays(1))));
    // As in emnist.yml: max_inflight applies to emnist-train only; calls to a busy setup pod wait.
    gateway.deploy(SetupFunction.NAME, 0, pod -> {
      SetupFunction setup = new SetupFunction(functions);
      setup.lookAfterJobs(SetupFunction.LOOK_AFTER_EVERY);
      setupPods.add(setup);
      return setup::handle;
    });
    gateway.deploy(TrainFunction.NAME, pod -> new TrainFunction(functions, TrainFunction.NAME + "-pod-" + pod)::handle);
    gateway.deploy(PredictFunction.NAME, 0, pod -> new PredictFunction(functions)::handle);
  }

  /** A client of this runtime's emnist-setup, with its token. */
  public GatewayJobClient client() {
    return new GatewayJobClient(gateway.url(), apiToken);
  }

  public String apiToken() {
    return apiToken;
  }

  public URI gatewayUrl() {
    return gateway.url();
  }

  public LocalGateway gateway() {
    return gateway;
  }

  public FunctionRuntime functions() {
    return functions;
  }

  @Override
  public void close() {
    setupPods.forEach(SetupFunction::close);
    gateway.close();
    functions.close();
    if (embedded != null) {
      embedded.close();
    }
  }
}
