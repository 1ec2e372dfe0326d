package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalApiTokenTest {
  @Test
  void theTokenIsMadeOnceReadableByItsOwnerOnlyAndThenReused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("config/emnist/emnist-api-token");
    Map<String, String> env = Map.of("EMNIST_TOKEN_FILE", file.toString());
    String token = LocalApiToken.get(env);
    assertTrue(token.matches("[0-9a-f]{64}"), token);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(token, LocalApiToken.get(env), "a second command made a new token");
    assertEquals(file.toString(), LocalApiToken.source(env));
    assertNotEquals(token, LocalApiToken.get(Map.of("EMNIST_TOKEN_FILE", dir.resolve("other").toString())));
  }

  @Test
  void theEnvironmentWinsOverTheFile(@TempDir Path dir) {
    Map<String, String> env = Map.of("EMNIST_API_TOKEN", " given-token-0123456789 ", "EMNIST_TOKEN_FILE",
        dir.resolve("never-made").toString());
    assertEquals("given-token-0123456789", LocalApiToken.get(env));
    assertEquals("$EMNIST_API_TOKEN", LocalApiToken.source(env));
    assertTrue(Files.notExists(dir.resolve("never-made")));
  }
}
