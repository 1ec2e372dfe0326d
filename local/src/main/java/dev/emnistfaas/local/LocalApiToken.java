package dev.emnistfaas.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The API token on this machine: the emnist-api-token secret of the local runtime, and what the commands send to
 * a gateway. {@code EMNIST_API_TOKEN} when set; else the file {@code EMNIST_TOKEN_FILE} (default
 * {@code ~/.config/emnist/emnist-api-token}), made on first use with 32 random bytes and readable by its owner
 * only, so that {@code ./emnist serve}, {@code train}, {@code status} and curl agree without the user doing
 * anything.
 */
public final class LocalApiToken {
  private LocalApiToken() {}

  /** Where the token is kept. */
  public static Path file(Map<String, String> env) {
    String f = env.getOrDefault("EMNIST_TOKEN_FILE", "");
    return f.isBlank() ? Path.of(System.getProperty("user.home"), ".config", "emnist", "emnist-api-token")
        : Path.of(f);
  }

  /** The token: {@code EMNIST_API_TOKEN}, else the file's, made first when there is none. */
  public static String get(Map<String, String> env) {
    String given = env.getOrDefault("EMNIST_API_TOKEN", "");
    return given.isBlank() ? loadOrCreate(file(env)) : given.strip();
  }

  /** Where {@link #get} took the token from, for a person. */
  public static String source(Map<String, String> env) {
    return env.getOrDefault("EMNIST_API_TOKEN", "").isBlank() ? file(env).toString() : "$EMNIST_API_TOKEN";
  }

  static String loadOrCreate(Path file) {
    try {
      if (Files.isRegularFile(file)) {
        String t = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!t.isEmpty()) {
          return t;
        }
      }
      String token = ephemeral();
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".token", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return token;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or make the API token file " + file
          + " (set EMNIST_TOKEN_FILE or EMNIST_API_TOKEN)", e);
    }
  }

  /** A fresh random token that is kept nowhere: a runtime of its own (tests). */
  static String ephemeral() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }
}
