package dev.emnistfaas.faas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** An OpenFaaS secret: a file named like the secret under the secrets folder, read when it exists. */
final class SecretFile {
  private SecretFile() {}

  /** The contents of {@code secrets}/{@code name} as written, or empty when there is no such file. */
  static Optional<String> read(Path secrets, String name) {
    Path file = secrets.resolve(name);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the secret " + file, e);
    }
  }
}
