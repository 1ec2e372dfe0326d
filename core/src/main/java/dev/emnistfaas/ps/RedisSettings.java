package dev.emnistfaas.ps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the parameter store is and how to log in, read once from the environment.
 *
 * <ul>
 *   <li>{@code REDIS_URL}: {@code redis://[user@]host:port[/db]} or {@code rediss://…} for TLS; unset means
 *       "start an embedded Redis".
 *   <li>{@code REDIS_USER}: the Redis ACL user to log in as (Redis 6 and later), or the URL's user; unset, the
 *       default user.
 *   <li>The password: the OpenFaaS secret file {@code /var/openfaas/secrets/<REDIS_PASSWORD_SECRET>} (default
 *       name {@code redis-password}) when it exists, else {@code REDIS_PASSWORD}, else none. A password in the
 *       URL is refused, so that it never lands in a stack file or a log.
 *   <li>With {@code rediss://}: the server's certificate is checked against the JVM's trusted CAs, or against the
 *       CA certificates (PEM) in the OpenFaaS secret named by {@code REDIS_TLS_CA_SECRET} (default
 *       {@code redis-ca}) when that file exists; the host name is always verified.
 *   <li>{@code REDIS_KEY_PREFIX}: the prefix of every key (default {@code emnist}).
 *   <li>{@code REDIS_CLUSTER_NODES}: {@code host:port,host:port,…} seed nodes of a Redis Cluster; the scheme
 *       and user of {@code REDIS_URL} still apply.
 * </ul>
 */
public record RedisSettings(Optional<URI> url, Optional<String> user, Optional<String> password, String keyPrefix,
    List<String> clusterNodes, Optional<Path> trustedCertificates) {
  public static final Path SECRETS_DIR = Path.of("/var/openfaas/secrets");
  public static final String DEFAULT_SECRET = "redis-password";
  public static final String DEFAULT_CA_SECRET = "redis-ca";

  public RedisSettings {
    url.ifPresent(RedisSettings::checkUrl);
    Optional<String> inUrl = url.map(URI::getUserInfo).filter(u -> !u.isEmpty());
    if (user.isPresent() && inUrl.isPresent() && !user.get().equals(inUrl.get())) {
      throw new IllegalArgumentException("REDIS_USER=" + user.get() + " and the user in REDIS_URL (" + inUrl.get()
          + ") differ; give one of them");
    }
    user = user.filter(u -> !u.isBlank()).or(() -> inUrl);
    if (trustedCertificates.isPresent() && !url.map(u -> "rediss".equals(u.getScheme())).orElse(false)) {
      throw new IllegalArgumentException("a CA certificate for Redis is given (" + trustedCertificates.get()
          + "), but REDIS_URL is not rediss://: the connection would not use TLS");
    }
    clusterNodes = List.copyOf(clusterNodes);
    for (String node : clusterNodes) {
      if (!node.matches("[^:\\s]+:[0-9]{1,5}")) {
        throw new IllegalArgumentException("REDIS_CLUSTER_NODES entries must be host:port, got '" + node + "'");
      }
    }
    if (keyPrefix.isBlank() || keyPrefix.contains("{") || keyPrefix.contains("}")) {
      throw new IllegalArgumentException("REDIS_KEY_PREFIX must be non-blank without braces, got '" + keyPrefix + "'");
    }
  }

  public static RedisSettings fromEnvironment() {
    return fromEnvironment(System.getenv(), SECRETS_DIR);
  }

  public static RedisSettings fromEnvironment(Map<String, String> env, Path secretsDir) {
    Optional<URI> url = Optional.ofNullable(env.get("REDIS_URL")).filter(s -> !s.isBlank()).map(s -> {
      try {
        return new URI(s.trim());
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("REDIS_URL is not a URL: " + e.getMessage());
      }
    });
    Path secret = secretsDir.resolve(env.getOrDefault("REDIS_PASSWORD_SECRET", DEFAULT_SECRET));
    Optional<String> password;
    if (Files.isRegularFile(secret)) {
      try {
        password = Optional.of(Files.readString(secret).strip());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the Redis password secret " + secret, e);
      }
    } else {
      password = Optional.ofNullable(env.get("REDIS_PASSWORD")).filter(s -> !s.isEmpty());
    }
    List<String> nodes = Stream.of(env.getOrDefault("REDIS_CLUSTER_NODES", "").split(","))
        .map(String::trim).filter(n -> !n.isEmpty()).toList();
    if (!nodes.isEmpty() && url.isEmpty()) {
      url = Optional.of(URI.create("redis://" + nodes.get(0)));
    }
    Path ca = secretsDir.resolve(env.getOrDefault("REDIS_TLS_CA_SECRET", DEFAULT_CA_SECRET));
    return new RedisSettings(url, Optional.ofNullable(env.get("REDIS_USER")).filter(s -> !s.isBlank()), password,
        env.getOrDefault("REDIS_KEY_PREFIX", "emnist"), nodes,
        Files.isRegularFile(ca) ? Optional.of(ca) : Optional.empty());
  }

  public static RedisSettings local(URI url) {
    return new RedisSettings(Optional.of(url), Optional.empty(), Optional.empty(), "emnist", List.of(),
        Optional.empty());
  }

  /** A Redis Cluster reached through these seed nodes ({@code host:port}). */
  public static RedisSettings cluster(List<String> nodes) {
    return new RedisSettings(Optional.of(URI.create("redis://" + nodes.get(0))), Optional.empty(), Optional.empty(),
        "emnist", nodes, Optional.empty());
  }

  public RedisSettings withPassword(String pw) {
    return new RedisSettings(url, user, Optional.of(pw), keyPrefix, clusterNodes, trustedCertificates);
  }

  /** Whether the connection uses TLS ({@code rediss://}). */
  public boolean tls() {
    return url.map(u -> "rediss".equals(u.getScheme())).orElse(false);
  }

  private static void checkUrl(URI u) {
    String scheme = u.getScheme();
    if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
      throw new IllegalArgumentException("REDIS_URL must start with redis:// or rediss://, got " + redacted(u));
    }
    if (u.getHost() == null) {
      throw new IllegalArgumentException("REDIS_URL has no host: " + redacted(u));
    }
    if (u.getUserInfo() != null && u.getUserInfo().contains(":")) {
      throw new IllegalArgumentException(
          "REDIS_URL carries a password; put it in the secret file or REDIS_PASSWORD instead: " + redacted(u));
    }
  }

  /** host:port (or the cluster's seed nodes), what error messages name. */
  public String address() {
    if (!clusterNodes.isEmpty()) {
      return String.join(",", clusterNodes);
    }
    return url.map(u -> u.getHost() + ":" + (u.getPort() > 0 ? u.getPort() : 6379)).orElse("embedded");
  }

  private static String redacted(URI u) {
    return u.getScheme() + "://" + (u.getUserInfo() != null ? "***@" : "") + u.getHost()
        + (u.getPort() > 0 ? ":" + u.getPort() : "");
  }

  @Override
  public String toString() {
    return "RedisSettings[" + (clusterNodes.isEmpty() ? url.map(RedisSettings::redacted).orElse("embedded")
        : "cluster " + address()) + user.map(u -> ", user " + u).orElse("") + ", password "
        + (password.isPresent() ? "set" : "none") + trustedCertificates.map(c -> ", CA " + c).orElse("")
        + ", prefix " + keyPrefix + "]";
  }
}
