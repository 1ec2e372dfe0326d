package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.train.TrainingConfig;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a function reads from its environment, read once into one value.
 *
 * <ul>
 *   <li>{@code gateway_url} (or {@code OPENFAAS_URL}): where to send async calls, default
 *       {@code http://gateway.openfaas:8080}.
 *   <li>{@code public_gateway_url}: the gateway as people outside the cluster reach it (a load balancer, an
 *       ingress, a node port); the links a function hands out (a new job's {@code status}) use it. Default: the
 *       gateway above, which only works inside the cluster.
 *   <li>Basic auth for the gateway from the secret files {@code basic-auth-user} and
 *       {@code basic-auth-password}, when present.
 *   <li>The Redis settings ({@link RedisSettings}); a function needs {@code REDIS_URL}.
 *   <li>{@code job_ttl_seconds}: how long a job's keys live (default one day).
 *   <li>Who may do what ({@link ApiAccess}: the secret {@value ApiAccess#TOKEN_SECRET}, {@code read_access}) and
 *       what a job may ask for ({@link Quotas}).
 *   <li>The key that signs the calls between the functions ({@link SignedCalls}: the secret
 *       {@value SignedCalls#KEY_SECRET}); a signature lives as long as a job.
 *   <li>{@code secrets_dir}: where the secret files are, default {@code /var/openfaas/secrets} (where OpenFaaS
 *       mounts them).
 *   <li>One variable per training knob, named like the config field ({@code batch=32}, {@code workers=2}):
 *       the defaults a setup request's JSON body overrides.
 * </ul>
 */
public record FunctionSettings(URI gateway, URI publicGateway, Optional<String> basicAuth, RedisSettings redis,
    Duration jobTtl, TrainingConfig defaults, ApiAccess access, Quotas quotas, SignedCalls calls) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static FunctionSettings fromEnvironment() {
    Map<String, String> env = System.getenv();
    String dir = env.getOrDefault("secrets_dir", "");
    return fromEnvironment(env, dir.isBlank() ? RedisSettings.SECRETS_DIR : Path.of(dir));
  }

  public static FunctionSettings fromEnvironment(Map<String, String> env, Path secrets) {
    URI gateway = httpAddress("gateway_url",
        env.getOrDefault("gateway_url", env.getOrDefault("OPENFAAS_URL", "http://gateway.openfaas:8080")));
    String published = env.getOrDefault("public_gateway_url", "");
    URI publicGateway = published.isBlank() ? gateway : httpAddress("public_gateway_url", published);
    Optional<String> user = SecretFile.read(secrets, "basic-auth-user");
    Optional<String> password = SecretFile.read(secrets, "basic-auth-password");
    Optional<String> auth = user.isPresent() && password.isPresent()
        ? Optional.of(user.get().strip() + ":" + password.get().strip()) : Optional.empty();
    Duration ttl = Duration.ofSeconds(Long.parseLong(env.getOrDefault("job_ttl_seconds", "86400")));
    return new FunctionSettings(gateway, publicGateway, auth, RedisSettings.fromEnvironment(env, secrets), ttl,
        defaultsFrom(env), ApiAccess.fromEnvironment(env, secrets), Quotas.fromEnvironment(env),
        SignedCalls.fromSecrets(secrets, ttl));
  }

  /** {@code value} as an http(s) address without trailing slashes; names {@code variable} when it is not one. */
  private static URI httpAddress(String variable, String value) {
    URI uri;
    try {
      uri = new URI(value.strip().replaceAll("/+$", ""));
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("environment: " + variable + "=" + value + " is not an address: "
          + e.getReason());
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException("environment: " + variable + "=" + value
          + " is not an http(s) address with a host, like http://gateway.example.com:8080");
    }
    return uri;
  }

  /** The Downpour defaults with every variable named like a config field applied (values read as JSON). */
  static TrainingConfig defaultsFrom(Map<String, String> env) {
    ObjectNode overrides = JSON.createObjectNode();
    for (RecordComponent c : TrainingConfig.class.getRecordComponents()) {
      String v = env.get(c.getName());
      if (v != null) {
        overrides.set(c.getName(), literal(c.getName(), v, c.getType()));
      }
    }
    try {
      return TrainingConfig.downpourDefaults(env.getOrDefault("dataDir", "/data")).withJson(overrides.toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("environment: " + e.getMessage(), e);
    }
  }

  private static JsonNode literal(String name, String value, Class<?> type) {
    if (type == String.class) {
      return JSON.getNodeFactory().textNode(value);
    }
    try {
      return JSON.readTree(value.trim());
    } catch (IOException e) {
      throw new IllegalArgumentException("environment: " + name + "=" + value + " is not a number");
    }
  }
}
