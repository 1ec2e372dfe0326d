package dev.emnistfaas.faas;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Readiness that tells the truth, for a function behind of-watchdog with {@code suppress_lock=true}: the
 * watchdog's {@code /_/health} and {@code /_/ready} (and {@code fwatchdog --run-healthcheck}, the image's
 * HEALTHCHECK) answer "ready" only while its lock file exists, and with that setting the watchdog no longer
 * writes the file at start (which it did before the Java server listened). The function writes it instead, once
 * what it needs is there (the pod's data and warm-up) and the entrypoint accepts connections on the upstream
 * port. A pod whose preparation fails never becomes ready, and says why on stderr.
 *
 * @param lockFile the watchdog's lock file ({@code $TMPDIR/.lock}, as Go's {@code os.TempDir()} has it)
 * @param upstream the Java entrypoint's address, from the watchdog's {@code upstream_url}
 */
public record PodReadiness(Path lockFile, InetSocketAddress upstream) {
  private static final long POLL_MILLIS = 20;

  /** Present when the watchdog leaves the lock file to the function ({@code suppress_lock=true}). */
  public static Optional<PodReadiness> fromEnvironment(Map<String, String> env) {
    if (!"true".equalsIgnoreCase(env.getOrDefault("suppress_lock", "").trim())) {
      return Optional.empty();
    }
    URI upstream = URI.create(env.getOrDefault("upstream_url", "http://127.0.0.1:8082"));
    String tmp = env.getOrDefault("TMPDIR", "");
    return Optional.of(new PodReadiness(Path.of(tmp.isEmpty() ? "/tmp" : tmp, ".lock"),
        new InetSocketAddress(upstream.getHost() == null ? "127.0.0.1" : upstream.getHost(),
            upstream.getPort() < 0 ? 80 : upstream.getPort())));
  }

  /**
   * Writes the lock file once {@code prepared} completes and the upstream port accepts a connection, on a daemon
   * thread; when {@code prepared} fails, logs that the pod stays unready and why.
   */
  public void markReadyWhen(CompletableFuture<?> prepared, String function, PrintStream log) {
    Thread t = new Thread(() -> {
      try {
        prepared.join();
      } catch (RuntimeException e) {
        log.println(function + ": not ready, and will not become ready: " + e.getCause());
        return;
      }
      try {
        awaitListening();
        Files.writeString(lockFile, "ready\n");
        log.println(function + ": ready (" + lockFile + " written)");
      } catch (IOException e) {
        log.println(function + ": cannot write the watchdog's lock file " + lockFile + ", so the pod stays "
            + "unready: " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, function + "-readiness");
    t.setDaemon(true);
    t.start();
  }

  private void awaitListening() throws InterruptedException {
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(upstream.isUnresolved() ? new InetSocketAddress(InetAddress.getLoopbackAddress(),
            upstream.getPort()) : upstream, 1000);
        return;
      } catch (IOException notYet) {
        Thread.sleep(POLL_MILLIS);
      }
    }
  }
}
