package dev.emnistfaas.faas;

import com.openfaas.model.IRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Who may do what through the functions. Changing things (creating or cancelling a job) needs the API token as
 * {@code Authorization: Bearer TOKEN}; reading (a job's status, the jobs list, predictions, the models) needs it
 * too unless the operator made reads public ({@code read_access=public}). The token is the OpenFaaS secret
 * {@value #TOKEN_SECRET}, read once. Without a usable secret nothing is let through (fail closed): the answer
 * is 503 and says which secret to create. Tokens are compared in constant time, and never logged.
 */
public record ApiAccess(Optional<String> token, ReadAccess reads) {
  /** The OpenFaaS secret (a file under the secrets folder) that holds the API token. */
  public static final String TOKEN_SECRET = "emnist-api-token";
  /** Shorter secrets are refused: a token is the only thing between the internet and the jobs. */
  public static final int MIN_TOKEN_CHARS = 16;

  /** Whether reading needs the token. */
  public enum ReadAccess {
    /** Reads need the token, as changes do: the default. */
    TOKEN,
    /** Anyone who reaches the gateway may read statuses, the jobs list and predictions. */
    PUBLIC;

    static ReadAccess parse(String value) {
      for (ReadAccess r : values()) {
        if (r.name().equalsIgnoreCase(value.strip())) {
          return r;
        }
      }
      throw new IllegalArgumentException("environment: read_access=" + value + " is neither token nor public");
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ApiAccess {
    token = token.map(String::strip).filter(t -> !t.isEmpty());
  }

  /**
   * The token from {@code secrets}/{@value #TOKEN_SECRET} (when the file exists) and {@code read_access} from
   * {@code env} (default token).
   */
  public static ApiAccess fromEnvironment(Map<String, String> env, Path secrets) {
    return new ApiAccess(SecretFile.read(secrets, TOKEN_SECRET),
        ReadAccess.parse(env.getOrDefault("read_access", "token")));
  }

  /** Why {@code request} may not change anything, or empty when it carries the token. */
  public Optional<Refusal> refuseChange(IRequest request) {
    return check(request);
  }

  /** Why {@code request} may not read, or empty when reads are public or it carries the token. */
  public Optional<Refusal> refuseRead(IRequest request) {
    return reads == ReadAccess.PUBLIC ? Optional.empty() : check(request);
  }

  private Optional<Refusal> check(IRequest request) {
    if (token.isEmpty() || token.get().length() < MIN_TOKEN_CHARS) {
      return Optional.of(new Refusal(503, "this function has no usable API token to check callers against: "
          + "create the OpenFaaS secret " + TOKEN_SECRET + " (at least " + MIN_TOKEN_CHARS + " characters, e.g. "
          + "faas-cli secret create " + TOKEN_SECRET + " --from-literal \"$(openssl rand -hex 32)\") and list it "
          + "under the function's secrets"));
    }
    String header = HttpHeaders.value(request.getHeaders(), "Authorization");
    if (header == null || header.isBlank()) {
      return Optional.of(new Refusal(401, "no API token: send Authorization: Bearer TOKEN, TOKEN being the "
          + TOKEN_SECRET + " secret"));
    }
    String h = header.strip();
    if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.of(new Refusal(401, "the Authorization header is not a bearer token: send Authorization: "
          + "Bearer TOKEN"));
    }
    if (!sameInConstantTime(h.substring(7).strip(), token.get())) {
      return Optional.of(new Refusal(401, "wrong API token"));
    }
    return Optional.empty();
  }

  /** Compares the SHA-256 digests, so neither the contents nor the length of the token leak through timing. */
  static boolean sameInConstantTime(String offered, String expected) {
    return MessageDigest.isEqual(sha256(offered), sha256(expected));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
