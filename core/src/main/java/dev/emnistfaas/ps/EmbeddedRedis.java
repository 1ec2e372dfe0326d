package dev.emnistfaas.ps;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.embedded.core.ExecutableProvider;

/**
 * A real redis-server (6.2, the binary the embedded-redis artifact carries) on a free loopback port, for laptops
 * and tests. It lives in a temporary folder of its own (binary, redis.conf), which goes with it.
 *
 * <p>On Linux the server runs in a session of its own ({@code setsid}): a terminal's Ctrl-C, sent to the whole
 * foreground process group, then reaches only the JVM, which still needs Redis to stop the workers and collect the
 * results. The server stops on {@link #close}, in a shutdown hook (SIGTERM, System.exit, a second Ctrl-C), and the
 * folders of servers whose JVM was killed outright are removed by the next start.
 */
public final class EmbeddedRedis implements AutoCloseable {
  private static final String FOLDER_PREFIX = "emnist-redis-";
  private static final long READY_TIMEOUT_SECONDS = 60;

  private final int port;
  private final Path folder;
  private final Process process;
  private final Thread shutdownHook;
  private final Deque<String> lastLines = new ArrayDeque<>();

  private EmbeddedRedis(int port, Path dir, boolean persistent, List<String> settings) throws IOException {
    this.port = port;
    removeLeftovers();
    this.folder = Files.createTempDirectory(FOLDER_PREFIX + ProcessHandle.current().pid() + "-");
    this.shutdownHook = new Thread(this::stopAndRemove, "embedded-redis-" + port + "-shutdown");
    Process started = null;
    try {
      File binary = ExecutableProvider.newJarResourceProvider(folder.toFile()).get();
      if (!binary.canExecute() && !binary.setExecutable(true)) {
        throw new IOException("cannot make " + binary + " executable");
      }
      Path conf = folder.resolve("redis.conf");
      Files.write(conf, config(port, dir == null ? Path.of("").toAbsolutePath() : dir.toAbsolutePath(), persistent,
          settings), StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>();
      if (SETSID != null) {
        command.add(SETSID);
      }
      command.add(binary.getAbsolutePath());
      command.add(conf.toString());
      started = new ProcessBuilder(command).redirectErrorStream(true).start();
      Runtime.getRuntime().addShutdownHook(shutdownHook);
      awaitReady(started);
      this.process = started;
    } catch (IOException | RuntimeException e) {
      if (started != null) {
        started.destroyForcibly();
      }
      removeQuietly(folder);
      throw e;
    }
  }

  /** {@code setsid}'s path where there is one (Linux), else null: the server then shares the JVM's group. */
  private static final String SETSID = Stream.of("/usr/bin/setsid", "/bin/setsid")
      .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);

  private static List<String> config(int port, Path dir, boolean persistent, List<String> settings) {
    List<String> lines = new ArrayList<>(List.of("port " + port, "bind 127.0.0.1", "protected-mode yes",
        "daemonize no", "logfile \"\"", "dir \"" + dir + "\""));
    if (persistent) {
      lines.addAll(List.of("appendonly yes", "appendfsync always"));
    } else {
      lines.addAll(List.of("save \"\"", "appendonly no"));
    }
    lines.addAll(settings);
    return lines;
  }

  /** Reads the server's log until it accepts connections, then drains it on a daemon thread. */
  private void awaitReady(Process p) throws IOException {
    BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Thread timeout = new Thread(() -> {
      try {
        if (!p.waitFor(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "embedded-redis-" + port + "-start");
    timeout.setDaemon(true);
    timeout.start();
    String line;
    while ((line = log.readLine()) != null) {
      remember(line);
      if (line.contains("Ready to accept connections")) {
        timeout.interrupt();
        Thread drain = new Thread(() -> drain(log), "embedded-redis-" + port + "-log");
        drain.setDaemon(true);
        drain.start();
        return;
      }
    }
    throw new IOException("redis-server on port " + port + " exited before accepting connections; its last lines:\n"
        + String.join("\n", lastLines));
  }

  private void drain(BufferedReader log) {
    try {
      String line;
      while ((line = log.readLine()) != null) {
        remember(line);
      }
    } catch (IOException e) {
      // The stream closes when the server stops; nothing is lost but the log's tail.
    }
  }

  private synchronized void remember(String line) {
    if (lastLines.size() == 20) {
      lastLines.removeFirst();
    }
    lastLines.addLast(line);
  }

  /** Starts a server without persistence on a free port. */
  public static EmbeddedRedis start() {
    return start(freePort(), null, false, List.of());
  }

  /**
   * Starts a server on {@code port} with its data files in {@code dir} (null: the working directory), persisted
   * there as an append-only file when {@code persistent}, with extra redis.conf lines.
   */
  public static EmbeddedRedis start(int port, Path dir, boolean persistent, List<String> settings) {
    try {
      return new EmbeddedRedis(port, dir, persistent, settings);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded redis-server on port " + port + ": "
          + e.getMessage(), e);
    }
  }

  public int port() {
    return port;
  }

  public URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  /** The server's temporary folder (binary and redis.conf); gone once the server is stopped. */
  public Path folder() {
    return folder;
  }

  /** The server's process id (tests check it is gone). */
  public long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs (or ran) anyway.
    }
    stopAndRemove();
  }

  /** Stops the server (SIGTERM: an append-only file is flushed; SIGKILL after 10 s) and removes its folder. */
  private synchronized void stopAndRemove() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    removeQuietly(folder);
  }

  /**
   * Removes the folders, and stops the servers, of earlier JVMs that were killed before they could (kill -9,
   * a power cut): a folder's name carries its JVM's pid.
   */
  private static void removeLeftovers() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> s = Files.list(tmp)) {
      s.filter(p -> p.getFileName().toString().startsWith(FOLDER_PREFIX)).forEach(p -> {
        String rest = p.getFileName().toString().substring(FOLDER_PREFIX.length());
        int dash = rest.indexOf('-');
        if (dash <= 0 || !rest.substring(0, dash).chars().allMatch(Character::isDigit)) {
          return;
        }
        if (ProcessHandle.of(Long.parseLong(rest.substring(0, dash))).map(ProcessHandle::isAlive).orElse(false)) {
          return;
        }
        String binaryPath = p.toAbsolutePath().toString();
        ProcessHandle.allProcesses().filter(h -> h.info().commandLine().map(c -> c.contains(binaryPath))
            .orElse(false)).forEach(ProcessHandle::destroy);
        removeQuietly(p);
      });
    } catch (IOException e) {
      System.err.println("embedded redis: cannot look for leftovers in " + tmp + ": " + e);
    }
  }

  private static void removeQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("embedded redis: cannot remove " + dir + ": " + e);
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
