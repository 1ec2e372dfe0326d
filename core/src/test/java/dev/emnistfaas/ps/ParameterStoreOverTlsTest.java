package dev.emnistfaas.ps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link ParameterStoreTest}, run once more against a Redis that speaks only TLS, logged in as an ACL
 * user (REDIS_USER) with a password, the server's certificate checked against its CA (REDIS_TLS_CA_SECRET). The
 * user may do everything, since the cases inspect keys (KEYS, CONFIG); {@link RedisTlsTest} runs a job as the
 * least-privilege user docs/operators.md recommends.
 */
class ParameterStoreOverTlsTest extends ParameterStoreTest {
  private static TlsRedis server;
  private static Path secrets;

  /** Hides {@link ParameterStoreTest#start}: the cases get this server instead of the embedded one. */
  @BeforeAll
  static void start() {
    try {
      server = TlsRedis.start("store-tests", "tls-test-password", "~* &* +@all");
      secrets = Files.createTempDirectory("emnist-tls-secrets-");
      Files.copy(server.ca, secrets.resolve(RedisSettings.DEFAULT_CA_SECRET));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    RedisSettings settings = RedisSettings.fromEnvironment(Map.of("REDIS_URL", "rediss://127.0.0.1:" + server.port,
        "REDIS_USER", "store-tests", "REDIS_PASSWORD", "tls-test-password"), secrets);
    redis = RedisConnection.open(settings, RedisConnection.Backoff.DEFAULT);
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
    try {
      if (server != null) {
        server.close();
      }
      if (secrets != null) {
        Files.deleteIfExists(secrets.resolve(RedisSettings.DEFAULT_CA_SECRET));
        Files.deleteIfExists(secrets);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The relay reads the plain protocol to find an EXEC's reply; under TLS it sees only ciphertext. */
  @Override
  @Test
  void aPushWhoseReplyWasLostIsAppliedOnce() {
    Assumptions.abort("not run over TLS: the lost-reply relay reads Redis's plain protocol");
  }
}
