package dev.emnistfaas.faas;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signatures on the calls the functions make of each other: every emnist-train call (made by emnist-setup,
 * and by emnist-train for a worker's next slice) and the callback the queue-worker posts to emnist-setup when that
 * call ends. Each carries HMAC-SHA256, under the OpenFaaS secret {@value #KEY_SECRET}, over what it is (a call or
 * a callback), the job, the worker, the slice, when it was signed and a random nonce; the receiver refuses (403)
 * what is unsigned, forged, altered (another job, worker or slice), or older than the job's life.
 *
 * <p>The CE queue-worker passes the callback URL on unchanged and adds its own headers (X-Function-Status, ...), so a
 * callback's signature travels in the URL's query; its status cannot be signed. Replays are refused where they
 * could change something: a callback that would queue a slice again is accepted once (emnist-setup remembers its
 * nonce), and an emnist-train call for a slice that already ran is a duplicate the worker refuses (409), as it
 * refuses the platform's own redeliveries.
 *
 * <p>Without a usable key nothing is signed or accepted (fail closed): emnist-setup starts no job and both
 * functions answer 503 naming the secret. The JDK's {@link Mac} does the HMAC; MACs are compared in constant time.
 */
public final class SignedCalls {
  /** The OpenFaaS secret (a file under the secrets folder) holding the key; emnist-setup and emnist-train read it. */
  public static final String KEY_SECRET = "emnist-call-key";
  /** Shorter keys are refused: 32 characters of {@code openssl rand -hex 32} hold 128 bits. */
  public static final int MIN_KEY_CHARS = 32;
  /** How far a signature's time may lie ahead of this pod's clock: skew between the cluster's nodes. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  private static final String ALGORITHM = "HmacSHA256";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  /** What a signature is for: a signature of one kind never passes for the other. */
  public enum Kind {
    /** The body of an emnist-train call. */
    TRAIN_CALL,
    /** The query of the callback URL of an emnist-train call. */
    CALLBACK
  }

  /** One signature: the time it was made (epoch milliseconds), its nonce, and the MAC over both and the call. */
  public record Signature(long issued, String nonce, String mac) {
    /** The signature as query parameters, for a callback URL. */
    public String query() {
      return "issued=" + issued + "&nonce=" + nonce + "&signature=" + mac;
    }
  }

  /** What one signed call says it is: a job's worker's slice. */
  public record Subject(Kind kind, String job, int worker, int slice) {
    @Override
    public String toString() {
      return (kind == Kind.CALLBACK ? "the callback of " : "the call of ") + "slice " + slice + " of worker " + worker
          + " of job " + job;
    }
  }

  private final Optional<SecretKeySpec> key;
  private final Duration maxAge;
  private final Clock clock;

  private SignedCalls(Optional<String> key, Duration maxAge, Clock clock) {
    this.key = key.map(String::strip).filter(k -> k.length() >= MIN_KEY_CHARS)
        .map(k -> new SecretKeySpec(k.getBytes(StandardCharsets.UTF_8), ALGORITHM));
    this.maxAge = maxAge;
    this.clock = clock;
  }

  /**
   * The key from {@code secrets}/{@value #KEY_SECRET} when that file exists; signatures older than {@code maxAge}
   * (a job's life) are refused.
   */
  public static SignedCalls fromSecrets(Path secrets, Duration maxAge) {
    return new SignedCalls(SecretFile.read(secrets, KEY_SECRET), maxAge, Clock.systemUTC());
  }

  /** Calls signed with {@code key}. */
  public static SignedCalls withKey(String key, Duration maxAge, Clock clock) {
    return new SignedCalls(Optional.of(key), maxAge, clock);
  }

  /** Calls signed with a random key that lives only in this process: functions that all run in it (local runs). */
  public static SignedCalls ephemeral(Duration maxAge) {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return withKey(HEX.formatHex(k), maxAge, Clock.systemUTC());
  }

  /** Why nothing can be signed or checked here (no usable key), or empty. */
  public Optional<Refusal> refuseWithoutKey() {
    if (key.isPresent()) {
      return Optional.empty();
    }
    return Optional.of(new Refusal(503, "this function has no usable key to sign and check the calls between "
        + "emnist-setup and emnist-train: create the OpenFaaS secret " + KEY_SECRET + " (at least " + MIN_KEY_CHARS
        + " characters, e.g. faas-cli secret create " + KEY_SECRET + " --from-literal \"$(openssl rand -hex 32)\") "
        + "and list it under both functions' secrets"));
  }

  /** A fresh signature of {@code subject}, made now. */
  public Signature sign(Subject subject) {
    byte[] n = new byte[12];
    RANDOM.nextBytes(n);
    long issued = clock.millis();
    String nonce = HEX.formatHex(n);
    return new Signature(issued, nonce, HEX.formatHex(mac(subject, issued, nonce)));
  }

  /**
   * Why the call that says it is {@code subject} and carries {@code issued}, {@code nonce} and {@code mac} (as
   * received, any of them null when missing) is refused, or empty when its signature holds.
   */
  public Optional<Refusal> refuse(Subject subject, String issued, String nonce, String mac) {
    Optional<Refusal> noKey = refuseWithoutKey();
    if (noKey.isPresent()) {
      return noKey;
    }
    if (issued == null || nonce == null || mac == null) {
      return Optional.of(new Refusal(403, "unsigned: " + subject + " carries no signature (issued, nonce, "
          + "signature); emnist-train is called only by emnist-setup and by itself, and signs its calls"));
    }
    long at;
    byte[] offered;
    try {
      at = Long.parseLong(issued);
      offered = HEX.parseHex(mac);
    } catch (IllegalArgumentException e) {
      return Optional.of(new Refusal(403, "malformed signature on " + subject));
    }
    if (!nonce.matches("[0-9a-f]{24}")
        || !MessageDigest.isEqual(offered, mac(subject, at, nonce))) {
      return Optional.of(new Refusal(403, "the signature does not match " + subject
          + ": forged, or altered on the way"));
    }
    Instant signed = Instant.ofEpochMilli(at);
    Instant now = clock.instant();
    if (signed.isAfter(now.plus(CLOCK_SKEW))) {
      return Optional.of(new Refusal(403, subject + " was signed at " + signed + ", ahead of this pod's clock ("
          + now + ") by more than " + CLOCK_SKEW.toMinutes() + " minutes"));
    }
    if (signed.isBefore(now.minus(maxAge))) {
      return Optional.of(new Refusal(403, subject + " was signed at " + signed + ", longer ago than a job lives ("
          + maxAge.toHours() + " h): an old call sent again"));
    }
    return Optional.empty();
  }

  private byte[] mac(Subject subject, long issued, String nonce) {
    String message = String.join("\n", "emnist-faas/1", subject.kind().name(), subject.job(),
        Integer.toString(subject.worker()), Integer.toString(subject.slice()), Long.toString(issued), nonce);
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key.orElseThrow(() -> new IllegalStateException(refuseWithoutKey().orElseThrow().reason())));
      return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot compute " + ALGORITHM, e);
    }
  }
}
