package dev.emnistfaas.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests of files as they are written, in the lower-case hex that sha256sum and our table use. */
final class Sha256 {
  private Sha256() {}

  /** Copies {@code in} to {@code out} (replacing it); the digest of what was written. */
  static String copy(InputStream in, Path out) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream d = new DigestInputStream(in, sha)) {
      Files.copy(d, out, StandardCopyOption.REPLACE_EXISTING);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
