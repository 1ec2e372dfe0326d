package dev.emnistfaas.faas;

import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.train.DownpourJobs;

/** What both functions share in one process: settings, the Redis connection pool and the gateway client. */
public final class FunctionRuntime implements AutoCloseable {
  private static FunctionRuntime fromEnvironment;

  private final FunctionSettings settings;
  private final RedisConnection redis;
  private final GatewayClient gateway;
  private final DownpourJobs jobs;

  public FunctionRuntime(FunctionSettings settings) {
    if (settings.redis().url().isEmpty()) {
      throw new IllegalStateException("REDIS_URL is not set: the functions need a Redis that all pods share");
    }
    this.settings = settings;
    this.redis = RedisConnection.open(settings.redis(), RedisConnection.Backoff.DEFAULT);
    this.gateway = new GatewayClient(settings.gateway(), settings.basicAuth());
    this.jobs = new DownpourJobs(redis, settings.redis().keyPrefix(), settings.jobTtl());
  }

  /** The process's runtime, built from the environment on first use (a function pod has one). */
  public static synchronized FunctionRuntime fromEnvironment() {
    if (fromEnvironment == null) {
      fromEnvironment = new FunctionRuntime(FunctionSettings.fromEnvironment());
    }
    return fromEnvironment;
  }

  public FunctionSettings settings() {
    return settings;
  }

  public RedisConnection redis() {
    return redis;
  }

  public GatewayClient gateway() {
    return gateway;
  }

  public DownpourJobs jobs() {
    return jobs;
  }

  @Override
  public void close() {
    redis.close();
  }
}
