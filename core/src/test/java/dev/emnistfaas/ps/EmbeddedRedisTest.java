package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The embedded server leaves nothing behind: not its process, not its folder, not a killed JVM's folder. */
class EmbeddedRedisTest {
  @Test
  void closeStopsTheServerAndRemovesItsFolder() throws Exception {
    EmbeddedRedis redis = EmbeddedRedis.start();
    Path folder = redis.folder();
    ProcessHandle server = ProcessHandle.of(redis.pid()).orElseThrow();
    assertTrue(Files.isRegularFile(folder.resolve("redis.conf")), folder + " has no redis.conf");
    try (RedisConnection c = RedisConnection.open(RedisSettings.local(redis.url()), RedisConnection.Backoff.DEFAULT)) {
      c.call(j -> j.set("k", "v"));
    }
    redis.close();
    assertFalse(server.isAlive(), "redis-server still running after close");
    assertFalse(Files.exists(folder), folder + " left behind");
  }

  @Test
  void theFolderOfAJvmKilledOutrightIsRemovedByTheNextStart() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(1, TimeUnit.MINUTES));
    Path leftover = Files.createDirectory(Path.of(System.getProperty("java.io.tmpdir"))
        .resolve("emnist-redis-" + gone.pid() + "-1234"));
    Files.writeString(leftover.resolve("redis.conf"), "port 1\n");
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      assertFalse(Files.exists(leftover), leftover + " of a dead JVM is still there");
      assertTrue(Files.exists(redis.folder()), "the running server's own folder went");
    }
  }
}
