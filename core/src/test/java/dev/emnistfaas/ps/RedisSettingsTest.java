package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisSettingsTest {
  @TempDir Path secrets;

  @Test
  void nothingConfiguredMeansEmbedded() {
    RedisSettings s = RedisSettings.fromEnvironment(Map.of(), secrets);
    assertEquals(Optional.empty(), s.url());
    assertEquals(Optional.empty(), s.password());
    assertEquals("emnist", s.keyPrefix());
  }

  @Test
  void secretFileWinsOverEnvironmentAndIsNeverPrinted() throws IOException {
    Files.writeString(secrets.resolve("my-redis"), "from-file\n");
    RedisSettings s = RedisSettings.fromEnvironment(Map.of("REDIS_URL", "rediss://redis.example:6380/2",
        "REDIS_PASSWORD_SECRET", "my-redis", "REDIS_PASSWORD", "from-env"), secrets);
    assertEquals(Optional.of("from-file"), s.password());
    assertEquals("redis.example:6380", s.address());
    assertFalse(s.toString().contains("from-file"), s.toString());
    RedisSettings env = RedisSettings.fromEnvironment(Map.of("REDIS_URL", "redis://h", "REDIS_PASSWORD", "pw"),
        secrets);
    assertEquals(Optional.of("pw"), env.password());
    assertEquals("h:6379", env.address());
  }

  @Test
  void badUrlsAreRefusedWithoutEchoingPasswords() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisSettings.fromEnvironment(Map.of("REDIS_URL", "redis://user:hunter2@h:1"), secrets));
    assertTrue(e.getMessage().contains("carries a password"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> RedisSettings.fromEnvironment(Map.of("REDIS_URL", "http://h:1"), secrets)).getMessage()
        .contains("must start with redis:// or rediss://"));
  }

  @Test
  void aCaWithoutTlsAndTwoDifferentUsersAreRefused() throws Exception {
    Files.writeString(secrets.resolve("redis-ca"), "not used");
    IllegalArgumentException plain = assertThrows(IllegalArgumentException.class, () -> RedisSettings.fromEnvironment(
        Map.of("REDIS_URL", "redis://127.0.0.1:6379"), secrets));
    assertTrue(plain.getMessage().contains("but REDIS_URL is not rediss://"), plain.getMessage());
    IllegalArgumentException users = assertThrows(IllegalArgumentException.class, () -> RedisSettings.fromEnvironment(
        Map.of("REDIS_URL", "rediss://alice@h:6380", "REDIS_USER", "bob"), secrets));
    assertEquals("REDIS_USER=bob and the user in REDIS_URL (alice) differ; give one of them", users.getMessage());
    assertEquals(java.util.Optional.of("alice"), RedisSettings.fromEnvironment(
        Map.of("REDIS_URL", "rediss://alice@h:6380"), secrets).user());
  }
}
