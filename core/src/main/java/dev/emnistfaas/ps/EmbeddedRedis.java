package dev.emnistfaas.ps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import redis.embedded.RedisServer;

/**
 * A real redis-server (6.2, from the embedded-redis artifact) on a free loopback port, for laptops and tests.
 * Stopped on {@link #close} and, failing that, when the JVM exits.
 */
public final class EmbeddedRedis implements AutoCloseable {
  private final RedisServer server;
  private final int port;

  private EmbeddedRedis(int port, Path dir, boolean persistent, List<String> settings) throws IOException {
    this.port = port;
    var builder = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("protected-mode yes")
        .onShutdownForceStop(true);
    if (dir != null) {
      builder.setting("dir " + dir.toAbsolutePath());
    }
    if (persistent) {
      builder.setting("appendonly yes").setting("appendfsync always");
    } else {
      builder.setting("save \"\"").setting("appendonly no");
    }
    settings.forEach(builder::setting);
    this.server = builder.build();
    server.start();
  }

  /** Starts a server without persistence on a free port. */
  public static EmbeddedRedis start() {
    return start(freePort(), null, false, List.of());
  }

  /**
   * Starts a server on {@code port} with its files in {@code dir} (null: the working directory), persisted
   * there as an append-only file when {@code persistent}, with extra redis.conf lines.
   */
  public static EmbeddedRedis start(int port, Path dir, boolean persistent, List<String> settings) {
    try {
      return new EmbeddedRedis(port, dir, persistent, settings);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded redis-server on port " + port, e);
    }
  }

  public int port() {
    return port;
  }

  public URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded redis-server on port " + port, e);
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
