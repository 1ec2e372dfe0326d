package dev.emnistfaas.ps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and ACL users, on a real TLS Redis ({@link TlsRedis}): the connection checks the server's certificate and
 * name, logs in as REDIS_USER, and the store's commands pass the least-privilege ACL docs/operators.md recommends.
 */
class RedisTlsTest {
  /** The ACL docs/operators.md recommends for the functions' user: the project's keys and the commands the store sends, nothing else. */
  static final String LEAST_PRIVILEGE = "resetchannels ~emnist:* -@all +@read +@write +@keyspace +@transaction "
      + "+@scripting +@connection -@dangerous";
  private static final String PASSWORD = "acl-user-password-0123";
  private static TlsRedis server;

  @TempDir Path secrets;

  @BeforeAll
  static void start() throws Exception {
    server = TlsRedis.start("emnist", PASSWORD, LEAST_PRIVILEGE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private RedisSettings settings(String url, String user, String password, Path ca) throws Exception {
    Files.copy(ca, secrets.resolve("redis-ca"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return RedisSettings.fromEnvironment(Map.of("REDIS_URL", url, "REDIS_USER", user, "REDIS_PASSWORD", password),
        secrets);
  }

  /** What a job does to Redis (parameters, pushes, worker records, leases, counters, the jobs index), as that user. */
  @Test
  void theStoreWorksOverTlsAsTheLeastPrivilegeUser() throws Exception {
    RedisSettings s = settings("rediss://127.0.0.1:" + server.port, "emnist", PASSWORD, server.ca);
    assertEquals("RedisSettings[rediss://127.0.0.1:" + server.port + ", user emnist, password set, CA "
        + secrets.resolve("redis-ca") + ", prefix emnist]", s.toString());
    try (RedisConnection redis = RedisConnection.open(s, RedisConnection.Backoff.DEFAULT)) {
      float[] initial = new float[10_000];
      for (int i = 0; i < initial.length; i++) {
        initial[i] = i;
      }
      ParameterStore store = ParameterStore.create(redis, "emnist", "tls-job", initial, 2,
          new UpdateRule(UpdateRule.Kind.ADAGRAD, 0.5f), java.time.Duration.ofHours(1));
      float[] gradient = new float[initial.length];
      java.util.Arrays.fill(gradient, 1f);
      float[] fetched = new float[initial.length];
      store.pusher("worker-0").pushAndFetch(gradient, fetched);
      assertEquals(initial[7] - 0.5f, fetched[7], 1e-6f);
      assertEquals(2, store.updates());
      JobStore jobs = new JobStore(redis, "emnist", java.time.Duration.ofHours(1));
      assertTrue(jobs.create("tls-job", "{}", System.currentTimeMillis()));
      assertEquals(java.util.List.of("tls-job"), jobs.recentJobs(10));
      assertTrue(jobs.acquireLease("tls-job", 0, "token", java.time.Duration.ofSeconds(30)));
      assertEquals(JobStore.SaveResult.SAVED, jobs.saveWorker("tls-job", 0, "token", java.util.Optional.empty(),
          "{\"slices\": 1}"));
      assertEquals(1, jobs.countOnce("tls-job", JobStore.Counter.DUPLICATES, "event"));
      assertTrue(jobs.claimOnce("tls-job", "callback:n", java.time.Duration.ofMinutes(1)));
      store.delete();
      // The user cannot reach beyond its keys or its commands.
      assertThrows(RuntimeException.class, () -> redis.call(j -> j.get("other:key")));
      assertThrows(RuntimeException.class, () -> redis.call(j -> j.flushAll()));
    }
  }

  @Test
  void theServerMustProveItsNameWithTheTrustedCa() throws Exception {
    // Signed by another CA: refused.
    RedisSettings stranger = settings("rediss://127.0.0.1:" + server.port, "emnist", PASSWORD, server.strangerCa());
    StoreException e = assertThrows(StoreException.class, () -> RedisConnection.open(stranger,
        new RedisConnection.Backoff(2, java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(20))));
    assertTrue(e.getMessage().startsWith("cannot reach Redis at 127.0.0.1:" + server.port), e.getMessage());
    assertTrue(e.getMessage().contains("TLS handshake failed (unable to find valid certification path"),
        e.getMessage());
    // The right CA, but a name the certificate does not hold (it names IP 127.0.0.1 only): refused.
    RedisSettings wrongName = settings("rediss://localhost:" + server.port, "emnist", PASSWORD, server.ca);
    StoreException named = assertThrows(StoreException.class, () -> RedisConnection.open(wrongName,
        new RedisConnection.Backoff(2, java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(20))));
    assertTrue(named.getMessage().contains("TLS handshake failed (No name matching localhost found)"),
        named.getMessage());
    // A wrong password for the user: an authentication error that does not repeat the password.
    RedisSettings wrongPassword = settings("rediss://127.0.0.1:" + server.port, "emnist", "not-the-password",
        server.ca);
    StoreException.Authentication denied = assertThrows(StoreException.Authentication.class,
        () -> RedisConnection.open(wrongPassword, RedisConnection.Backoff.DEFAULT));
    assertFalse(denied.getMessage().contains("not-the-password"), denied.getMessage());
  }
}
