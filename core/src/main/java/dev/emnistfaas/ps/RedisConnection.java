package dev.emnistfaas.ps;

import java.net.URI;
import java.time.Duration;
import java.util.function.Function;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A pool of connections to one Redis server, with bounded retries and exponential backoff when it cannot be
 * reached, and a distinct error when it refuses the credentials.
 */
public final class RedisConnection implements AutoCloseable {
  /** How often and how patiently to retry an unreachable server. */
  public record Backoff(int attempts, Duration firstDelay, Duration maxDelay) {
    public static final Backoff DEFAULT = new Backoff(6, Duration.ofMillis(100), Duration.ofSeconds(2));
  }

  private final JedisPool pool;
  private final String address;
  private final Backoff backoff;

  private RedisConnection(JedisPool pool, String address, Backoff backoff) {
    this.pool = pool;
    this.address = address;
    this.backoff = backoff;
  }

  /** Connects and checks the server answers (PING), retrying as {@code backoff} allows. */
  public static RedisConnection open(RedisSettings settings, Backoff backoff) {
    URI url = settings.url().orElseThrow(() -> new IllegalArgumentException("no REDIS_URL to connect to"));
    var config = DefaultJedisClientConfig.builder()
        .ssl("rediss".equals(url.getScheme()))
        .timeoutMillis(10_000)
        .clientName("emnist-faas");
    settings.password().ifPresent(config::password);
    if (url.getUserInfo() != null && !url.getUserInfo().isEmpty()) {
      config.user(url.getUserInfo());
    }
    String path = url.getPath();
    if (path != null && path.length() > 1) {
      config.database(Integer.parseInt(path.substring(1)));
    }
    JedisPoolConfig poolConfig = new JedisPoolConfig();
    poolConfig.setMaxTotal(32);
    poolConfig.setJmxEnabled(false);
    HostAndPort hp = new HostAndPort(url.getHost(), url.getPort() > 0 ? url.getPort() : 6379);
    RedisConnection c = new RedisConnection(new JedisPool(poolConfig, hp, config.build()), settings.address(), backoff);
    try {
      c.call(Jedis::ping);
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  public String address() {
    return address;
  }

  /**
   * Runs {@code op} on a pooled connection. A connection failure is retried with backoff until the budget is
   * spent, then reported naming the address; so {@code op} must be safe to run again from its start.
   */
  public <T> T call(Function<Jedis, T> op) {
    long delay = backoff.firstDelay().toMillis();
    long started = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      try (Jedis jedis = pool.getResource()) {
        return op.apply(jedis);
      } catch (JedisAccessControlException e) {
        throw authentication(e);
      } catch (JedisDataException e) {
        String m = String.valueOf(e.getMessage());
        if (m.startsWith("NOAUTH") || m.startsWith("WRONGPASS") || m.contains("invalid password")) {
          throw authentication(e);
        }
        throw e;
      } catch (JedisConnectionException e) {
        if (e.getCause() instanceof JedisAccessControlException ace) {
          throw authentication(ace);
        }
        if (attempt >= backoff.attempts()) {
          throw new StoreException.Unavailable(String.format("cannot reach Redis at %s after %d attempts over "
              + "%.1f s: %s", address, attempt, (System.nanoTime() - started) / 1e9, rootMessage(e)), e);
        }
        sleep(delay);
        delay = Math.min(delay * 2, backoff.maxDelay().toMillis());
      }
    }
  }

  private StoreException authentication(Exception e) {
    return new StoreException.Authentication("Redis at " + address + " refused the credentials ("
        + rootMessage(e) + "); check the password secret or REDIS_PASSWORD", e);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException.Unavailable("interrupted while waiting to retry Redis", e);
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
