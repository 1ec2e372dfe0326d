package dev.emnistfaas.ps;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import javax.net.ssl.SSLParameters;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.util.JedisClusterCRC16;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Connections to one Redis server, or to a Redis Cluster, with bounded retries and exponential backoff when it
 * cannot be reached, and a distinct error when it refuses the credentials. In cluster mode every operation
 * runs on the node that owns its key's slot, so a transaction over keys of one hash tag works as on a single
 * server.
 */
public final class RedisConnection implements AutoCloseable {
  /** How often and how patiently to retry an unreachable server. */
  public record Backoff(int attempts, Duration firstDelay, Duration maxDelay) {
    public static final Backoff DEFAULT = new Backoff(6, Duration.ofMillis(100), Duration.ofSeconds(2));
  }

  private final JedisPool pool;
  private final JedisCluster cluster;
  private final String address;
  private final Backoff backoff;

  private RedisConnection(JedisPool pool, JedisCluster cluster, String address, Backoff backoff) {
    this.pool = pool;
    this.cluster = cluster;
    this.address = address;
    this.backoff = backoff;
  }

  /** Connects and checks the server answers (PING), retrying as {@code backoff} allows. */
  public static RedisConnection open(RedisSettings settings, Backoff backoff) {
    URI url = settings.url().orElseThrow(() -> new IllegalArgumentException("no REDIS_URL to connect to"));
    var config = DefaultJedisClientConfig.builder()
        .timeoutMillis(10_000)
        .clientName("emnist-faas");
    if (settings.tls()) {
      // Jedis checks no host name by default; HTTPS's rule (the name or IP in the certificate) is what TLS clients
      // of Redis expect.
      SSLParameters checkHost = new SSLParameters();
      checkHost.setEndpointIdentificationAlgorithm("HTTPS");
      config.ssl(true).sslParameters(checkHost);
      settings.trustedCertificates().ifPresent(ca -> config.sslSocketFactory(TrustedCertificates.socketFactory(ca)));
    }
    settings.password().ifPresent(config::password);
    settings.user().ifPresent(config::user);
    String path = url.getPath();
    if (path != null && path.length() > 1) {
      config.database(Integer.parseInt(path.substring(1)));
    }
    JedisPoolConfig poolConfig = new JedisPoolConfig();
    poolConfig.setMaxTotal(32);
    poolConfig.setJmxEnabled(false);
    RedisConnection c;
    if (settings.clusterNodes().isEmpty()) {
      HostAndPort hp = new HostAndPort(url.getHost(), url.getPort() > 0 ? url.getPort() : 6379);
      c = new RedisConnection(new JedisPool(poolConfig, hp, config.build()), null, settings.address(), backoff);
    } else {
      c = openCluster(settings, config.build(), backoff);
    }
    try {
      c.call(Jedis::ping);
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private static RedisConnection openCluster(RedisSettings settings, JedisClientConfig config, Backoff backoff) {
    Set<HostAndPort> nodes = new HashSet<>();
    for (String node : settings.clusterNodes()) {
      nodes.add(HostAndPort.from(node));
    }
    long delay = backoff.firstDelay().toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(32);
        poolConfig.setJmxEnabled(false);
        return new RedisConnection(null, new JedisCluster(nodes, config, 5, poolConfig), settings.address(),
            backoff);
      } catch (JedisConnectionException e) {
        if (e.getCause() instanceof JedisAccessControlException || String.valueOf(e.getMessage()).contains("WRONGPASS")) {
          throw new StoreException.Authentication("Redis cluster at " + settings.address()
              + " refused the credentials; check the password secret or REDIS_PASSWORD", e);
        }
        if (attempt >= backoff.attempts()) {
          throw new StoreException.Unavailable("cannot reach the Redis cluster at " + settings.address() + " after "
              + attempt + " attempts: " + rootMessage(e), e);
        }
        sleep(delay);
        delay = Math.min(delay * 2, backoff.maxDelay().toMillis());
      }
    }
  }

  public String address() {
    return address;
  }

  public boolean clustered() {
    return cluster != null;
  }

  /** The masters serving slots of the Redis Cluster; 1 for a single server. */
  public int masters() {
    return Arrays.stream(slotOwners()).max().orElse(0) + 1;
  }

  /** One range of CLUSTER SLOTS: slots {@code from..to} (inclusive) and the address of their master. */
  private record SlotRange(int from, int to, String master) {}

  /**
   * For each of the 16384 slots, the index of the master serving it (masters numbered in the order of their
   * first slot), or -1 for an unserved slot; all 0 on a single server.
   */
  public int[] slotOwners() {
    int[] owners = new int[16384];
    if (cluster == null) {
      return owners;
    }
    Arrays.fill(owners, -1);
    List<SlotRange> ranges = new ArrayList<>();
    for (Object range : call(Jedis::clusterSlots)) {
      List<?> r = (List<?>) range;
      List<?> master = (List<?>) r.get(2);
      ranges.add(new SlotRange(((Number) r.get(0)).intValue(), ((Number) r.get(1)).intValue(),
          new String((byte[]) master.get(0), StandardCharsets.UTF_8) + ":" + master.get(1)));
    }
    ranges.sort(Comparator.comparingInt(SlotRange::from));
    Map<String, Integer> index = new HashMap<>();
    for (SlotRange r : ranges) {
      int master = index.computeIfAbsent(r.master(), k -> index.size());
      Arrays.fill(owners, r.from(), r.to() + 1, master);
    }
    return owners;
  }

  /**
   * Runs {@code op} on a connection to the server (in cluster mode: to the node owning slot 0), for commands
   * that name no key.
   */
  public <T> T call(Function<Jedis, T> op) {
    return callOn((byte[]) null, op);
  }

  /** Runs {@code op} on a connection that serves {@code key} (in cluster mode, its slot's node). */
  public <T> T callOn(String key, Function<Jedis, T> op) {
    return callOn(key.getBytes(java.nio.charset.StandardCharsets.UTF_8), op);
  }

  /**
   * Runs {@code op} on a connection that serves {@code key}. A connection failure is retried with backoff until
   * the budget is spent, then reported naming the address; so {@code op} must be safe to run again from its
   * start.
   */
  public <T> T callOn(byte[] key, Function<Jedis, T> op) {
    long delay = backoff.firstDelay().toMillis();
    long started = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      try (Jedis jedis = connection(key)) {
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

  private Jedis connection(byte[] key) {
    if (cluster == null) {
      return pool.getResource();
    }
    return new Jedis(cluster.getConnectionFromSlot(key == null ? 0 : JedisClusterCRC16.getSlot(key)));
  }

  private StoreException authentication(Exception e) {
    return new StoreException.Authentication("Redis at " + address + " refused the credentials ("
        + rootMessage(e) + "); check the password secret or REDIS_PASSWORD", e);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    boolean tls = false;
    while (t.getCause() != null && t.getCause() != t) {
      tls |= t instanceof javax.net.ssl.SSLException;
      t = t.getCause();
    }
    tls |= t instanceof javax.net.ssl.SSLException;
    String message = t.getMessage() == null ? t.toString() : t.getMessage();
    return tls ? "TLS handshake failed (" + message + "); the server's certificate must name the host in "
        + "REDIS_URL and be signed by a CA the JVM trusts or the one in the REDIS_TLS_CA_SECRET secret" : message;
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
    if (pool != null) {
      pool.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }
}
