package dev.emnistfaas.ps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the parameter store is and how to log in, read once from the environment.
 *
 * <ul>
 *   <li>{@code REDIS_URL}: {@code redis://[user@]host:port[/db]} or {@code rediss://…} for TLS; unset means
 *       "start an embedded Redis".
 *   <li>The password: the OpenFaaS secret file {@code /var/openfaas/secrets/<REDIS_PASSWORD_SECRET>} (default
 *       name {@code redis-password}) when it exists, else {@code REDIS_PASSWORD}, else none. A password in the
 *       URL is refused, so that it never lands in a stack file or a log.
 *   <li>{@code REDIS_KEY_PREFIX}: the prefix of every key (default {@code emnist}).
 * </ul>
 */
public record RedisSettings(Optional<URI> url, Optional<String> password, String keyPrefix) {
  public static final Path SECRETS_DIR = Path.of("/var/openfaas/secrets");
  public static final String DEFAULT_SECRET = "redis-password";

  public RedisSettings {
    url.ifPresent(RedisSettings::checkUrl);
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
    return new RedisSettings(url, password, env.getOrDefault("REDIS_KEY_PREFIX", "emnist"));
  }

  public static RedisSettings local(URI url) {
    return new RedisSettings(Optional.of(url), Optional.empty(), "emnist");
  }

  public RedisSettings withPassword(String pw) {
    return new RedisSettings(url, Optional.of(pw), keyPrefix);
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

  /** host:port, what error messages name. */
  public String address() {
    return url.map(u -> u.getHost() + ":" + (u.getPort() > 0 ? u.getPort() : 6379)).orElse("embedded");
  }

  private static String redacted(URI u) {
    return u.getScheme() + "://" + (u.getUserInfo() != null ? "***@" : "") + u.getHost()
        + (u.getPort() > 0 ? ":" + u.getPort() : "");
  }

  @Override
  public String toString() {
    return "RedisSettings[" + url.map(RedisSettings::redacted).orElse("embedded") + ", password "
        + (password.isPresent() ? "set" : "none") + ", prefix " + keyPrefix + "]";
  }
}
