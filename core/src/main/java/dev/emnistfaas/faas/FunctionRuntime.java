package dev.emnistfaas.faas;

import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.StoreException;
import java.io.PrintStream;
import dev.emnistfaas.train.DownpourJobs;

/**
 * What the functions share in one process: settings, the Redis connection pool and the gateway client. Redis is
 * connected on first use, not at start: a pod whose Redis is away or refuses its credentials still starts, says why
 * in one line, answers what needs Redis with 503 naming the cause (and connects once it can), and serves what does
 * not need it (emnist-predict's baked models, the pages).
 */
public final class FunctionRuntime implements AutoCloseable {
  private static FunctionRuntime fromEnvironment;

  private final FunctionSettings settings;
  private final GatewayClient gateway;
  private volatile Connected connected;

  /** The connection and what is built on it, made together once. */
  private record Connected(RedisConnection redis, DownpourJobs jobs) {}

  public FunctionRuntime(FunctionSettings settings) {
    if (settings.redis().url().isEmpty()) {
      throw new IllegalStateException("REDIS_URL is not set: the functions need a Redis that all pods share");
    }
    this.settings = settings;
    this.gateway = new GatewayClient(settings.gateway(), settings.basicAuth());
  }

  /** The process's runtime, built from the environment on first use (a function pod has one). */
  public static synchronized FunctionRuntime fromEnvironment() {
    if (fromEnvironment == null) {
      fromEnvironment = new FunctionRuntime(FunctionSettings.fromEnvironment());
    }
    return fromEnvironment;
  }

  /**
   * Connects now (a pod at start), logging one line to {@code log} when Redis cannot be used yet instead of
   * failing: the calls that need it will say why.
   */
  public void connectNow(String function, PrintStream log) {
    try {
      connected();
    } catch (StoreException e) {
      log.println(function + ": cannot use Redis yet (" + e.getMessage() + "); calls that need it answer 503 "
          + "until it can be used");
    }
  }

  private Connected connected() {
    Connected c = connected;
    if (c == null) {
      synchronized (this) {
        c = connected;
        if (c == null) {
          RedisConnection redis = RedisConnection.open(settings.redis(), RedisConnection.Backoff.DEFAULT);
          c = new Connected(redis, new DownpourJobs(redis, settings.redis().keyPrefix(), settings.jobTtl()));
          connected = c;
        }
      }
    }
    return c;
  }

  public FunctionSettings settings() {
    return settings;
  }

  /** The connection pool; connects first if needed (a {@link StoreException} when Redis cannot be used). */
  public RedisConnection redis() {
    return connected().redis();
  }

  public GatewayClient gateway() {
    return gateway;
  }

  /** The jobs in Redis; connects first if needed (a {@link StoreException} when Redis cannot be used). */
  public DownpourJobs jobs() {
    return connected().jobs();
  }

  @Override
  public void close() {
    Connected c = connected;
    if (c != null) {
      c.redis().close();
    }
  }
}
