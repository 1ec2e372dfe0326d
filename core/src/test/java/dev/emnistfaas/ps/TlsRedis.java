package dev.emnistfaas.ps;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's redis-server (built with TLS, unlike the embedded artifact's) serving TLS only, on a loopback port, with
 * a certificate for 127.0.0.1 from a CA made for it with openssl, the default user switched off and one ACL user.
 * A case that needs it is skipped, saying why, where redis-server or openssl is missing (a laptop with only a JDK
 * and Maven); CI installs both.
 */
final class TlsRedis implements AutoCloseable {
  static final Path REDIS_SERVER = Path.of("/usr/bin/redis-server");
  static final Path OPENSSL = Path.of("/usr/bin/openssl");

  final int port;
  /** The cluster bus's port, or 0 outside a cluster. */
  final int busPort;
  final Path folder;
  /** The CA that signed the server's certificate (PEM): what a client trusts. */
  final Path ca;
  private final Process process;

  private TlsRedis(int port, int busPort, Path folder, Path ca, Process process) {
    this.port = port;
    this.busPort = busPort;
    this.folder = folder;
    this.ca = ca;
    this.process = process;
  }

  /** Skips the calling case, with one line saying why, where this machine cannot run a TLS Redis. */
  static void assumeAvailable() {
    String missing = !Files.isExecutable(REDIS_SERVER) ? REDIS_SERVER + " (Debian: apt-get install redis-server)"
        : !Files.isExecutable(OPENSSL) ? OPENSSL + " (Debian: apt-get install openssl)" : null;
    if (missing != null) {
      System.out.println("SKIPPED (not run, not a pass): a TLS Redis needs " + missing);
    }
    Assumptions.assumeTrue(missing == null, "a TLS Redis needs " + missing);
  }

  /** A server whose only user is {@code user} with {@code password} and the ACL rules {@code rules}. */
  static TlsRedis start(String user, String password, String rules) throws IOException, InterruptedException {
    assumeAvailable();
    Path dir = Files.createTempDirectory("emnist-tls-redis-");
    makeCertificates(dir);
    return start(dir, dir, 0, List.of("user " + user + " on >" + password + " " + rules));
  }

  /**
   * Three TLS-only masters sharing the certificates in {@code certificates} (see {@link #makeCertificates}), the
   * cluster bus over TLS too, joined into one cluster by {@code admin} (a user that may do anything) beside the
   * users {@code users} (redis.conf {@code user} lines).
   */
  static List<TlsRedis> startCluster(Path certificates, String admin, String adminPassword, List<String> users)
      throws IOException, InterruptedException {
    List<TlsRedis> nodes = new ArrayList<>();
    List<String> accounts = new ArrayList<>(users);
    accounts.add("user " + admin + " on >" + adminPassword + " ~* &* +@all");
    for (int i = 0; i < 3; i++) {
      Path dir = Files.createTempDirectory("emnist-tls-cluster-");
      int bus = EmbeddedRedis.freePort();
      List<String> settings = new ArrayList<>(accounts);
      settings.addAll(List.of("cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000",
          "cluster-port " + bus, "tls-cluster yes", "masteruser " + admin, "masterauth " + adminPassword));
      nodes.add(start(dir, certificates, bus, settings));
    }
    return nodes;
  }

  private static TlsRedis start(Path dir, Path certificates, int busPort, List<String> settings)
      throws IOException, InterruptedException {
    int port = EmbeddedRedis.freePort();
    List<String> conf = new ArrayList<>(List.of("port 0", "tls-port " + port, "bind 127.0.0.1",
        "tls-cert-file " + certificates.resolve("server.crt"), "tls-key-file " + certificates.resolve("server.key"),
        "tls-ca-cert-file " + certificates.resolve("ca.crt"), "tls-auth-clients no", "save \"\"", "appendonly no",
        "dir " + dir, "user default off"));
    conf.addAll(settings);
    Files.write(dir.resolve("redis.conf"), conf);
    List<String> command = List.of(REDIS_SERVER.toString(), dir.resolve("redis.conf").toString());
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException("redis-server with TLS exited: " + Files.readString(dir.resolve("redis.log")));
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IllegalStateException("redis-server with TLS did not listen on " + port + " in 60 s");
        }
        Thread.sleep(50);
      }
    }
    return new TlsRedis(port, busPort, dir, certificates.resolve("ca.crt"), p);
  }

  /** In {@code dir}: a CA (ca.crt), and a certificate for IP 127.0.0.1 only (not "localhost") it signed (server.*). */
  static void makeCertificates(Path dir) throws IOException, InterruptedException {
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=emnist test CA", "-keyout", "ca.key", "-out", "ca.crt");
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
        "/CN=emnist test redis", "-keyout", "server.key", "-out", "server.csr");
    Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
  }

  /** Another CA, which signed nothing this server holds. */
  Path strangerCa() throws IOException, InterruptedException {
    openssl(folder, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
        "2", "-subj", "/CN=another CA", "-keyout", "other.key", "-out", "other.crt");
    return folder.resolve("other.crt");
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(OPENSSL.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }
}
