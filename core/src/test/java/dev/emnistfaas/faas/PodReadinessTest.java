package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog's lock file appears only once the pod is prepared and its entrypoint listens; never after a failure. */
class PodReadinessTest {
  @TempDir Path tmp;

  @Test
  void readsTheWatchdogsSettingsAndIsAbsentUnlessTheFunctionOwnsTheLockFile() {
    assertEquals(Optional.empty(), PodReadiness.fromEnvironment(Map.of()));
    assertEquals(Optional.empty(), PodReadiness.fromEnvironment(Map.of("suppress_lock", "false")));
    PodReadiness r = PodReadiness.fromEnvironment(Map.of("suppress_lock", "true", "upstream_url",
        "http://127.0.0.1:9082", "TMPDIR", tmp.toString())).orElseThrow();
    assertEquals(tmp.resolve(".lock"), r.lockFile());
    assertEquals(9082, r.upstream().getPort());
    assertEquals(Path.of("/tmp/.lock"), PodReadiness.fromEnvironment(Map.of("suppress_lock", "TRUE")).orElseThrow()
        .lockFile());
  }

  @Test
  void theLockFileWaitsForThePreparationAndTheListeningServer() throws Exception {
    Path lock = tmp.resolve(".lock");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    PodReadiness r = new PodReadiness(lock, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    CompletableFuture<Void> prepared = new CompletableFuture<>();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    r.markReadyWhen(prepared, "emnist-train", new PrintStream(log, true, StandardCharsets.UTF_8));
    prepared.complete(null);
    Thread.sleep(300);
    assertFalse(Files.exists(lock), "ready before the entrypoint listens");
    try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
      long deadline = System.nanoTime() + 60_000_000_000L;
      // The line that says so follows the lock file.
      while (!log.toString(StandardCharsets.UTF_8).contains("emnist-train: ready") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(Files.exists(lock), "not ready a minute after the entrypoint listened: " + log);
      assertEquals("ready\n", Files.readString(lock));
    }
  }

  @Test
  void aPodWhosePreparationFailedNeverBecomesReadyAndSaysWhy() throws Exception {
    Path lock = tmp.resolve(".lock");
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      PodReadiness r = new PodReadiness(lock, new InetSocketAddress(InetAddress.getLoopbackAddress(),
          server.getLocalPort()));
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      CompletableFuture<Void> prepared = CompletableFuture.failedFuture(
          new IllegalStateException("/home/app/data: no EMNIST files"));
      r.markReadyWhen(prepared.thenRun(() -> { }), "emnist-train", new PrintStream(log, true, StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!log.toString(StandardCharsets.UTF_8).contains("not ready") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(log.toString(StandardCharsets.UTF_8).contains("not ready, and will not become ready: "
          + "java.lang.IllegalStateException: /home/app/data: no EMNIST files"), log.toString());
      assertFalse(Files.exists(lock));
    }
  }
}
