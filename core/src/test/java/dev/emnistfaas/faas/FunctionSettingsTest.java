package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a function reads from its environment and its secrets. */
class FunctionSettingsTest {
  @TempDir
  Path secrets;

  private FunctionSettings read(Map<String, String> env) {
    return FunctionSettings.fromEnvironment(env, secrets);
  }

  @Test
  void theStatusLinkUsesTheInClusterGatewayUnlessAPublicOneIsSet() throws Exception {
    Files.createDirectories(secrets);
    FunctionSettings inside = read(Map.of());
    assertEquals(URI.create("http://gateway.openfaas:8080"), inside.gateway());
    assertEquals(inside.gateway(), inside.publicGateway());

    FunctionSettings published = read(Map.of("gateway_url", "http://gateway.openfaas:8080/",
        "public_gateway_url", "https://faas.example.com//"));
    assertEquals(URI.create("http://gateway.openfaas:8080"), published.gateway());
    assertEquals(URI.create("https://faas.example.com"), published.publicGateway());
    assertEquals(published.gateway(), read(Map.of("public_gateway_url", " ")).publicGateway());
  }

  /** The gateway's basic-auth secrets, as OpenFaaS mounts them (with a trailing newline), used only as a pair. */
  @Test
  void theGatewaysBasicAuthComesFromItsTwoSecretsTogether() throws Exception {
    Files.createDirectories(secrets);
    assertEquals(java.util.Optional.empty(), read(Map.of()).basicAuth());
    Files.writeString(secrets.resolve("basic-auth-user"), "admin\n");
    assertEquals(java.util.Optional.empty(), read(Map.of()).basicAuth(), "a user without a password");
    Files.writeString(secrets.resolve("basic-auth-password"), "s3cret\n");
    assertEquals(java.util.Optional.of("admin:s3cret"), read(Map.of()).basicAuth());
  }

  @Test
  void anAddressWithoutSchemeOrHostIsRefusedByName() {
    String m = assertThrows(IllegalArgumentException.class,
        () -> read(Map.of("public_gateway_url", "faas.example.com:31112"))).getMessage();
    assertEquals("environment: public_gateway_url=faas.example.com:31112 is not an http(s) address with a host,"
        + " like http://gateway.example.com:8080", m);
    m = assertThrows(IllegalArgumentException.class, () -> read(Map.of("gateway_url", "http://bad host"))).getMessage();
    assertEquals("environment: gateway_url=http://bad host is not an address: Illegal character in authority", m);
  }

  /** The call key is the emnist-call-key secret; a function reading another key's signatures refuses them. */
  @Test
  void theCallKeyComesFromItsSecretAndIsNeeded() throws Exception {
    assertEquals(503, read(Map.of()).calls().refuseWithoutKey().orElseThrow().status());
    Files.writeString(secrets.resolve(SignedCalls.KEY_SECRET), "0123456789abcdef0123456789abcdef\n");
    SignedCalls calls = read(Map.of("job_ttl_seconds", "600")).calls();
    assertEquals(java.util.Optional.empty(), calls.refuseWithoutKey());
    SignedCalls.Subject subject = new SignedCalls.Subject(SignedCalls.Kind.TRAIN_CALL, "0123abcd", 2, 5);
    SignedCalls.Signature s = calls.sign(subject);
    assertEquals(java.util.Optional.empty(), calls.refuse(subject, "" + s.issued(), s.nonce(), s.mac()));
    Files.writeString(secrets.resolve(SignedCalls.KEY_SECRET), "another key, also long enough to be used");
    assertEquals(403, read(Map.of()).calls().refuse(subject, "" + s.issued(), s.nonce(), s.mac()).orElseThrow()
        .status());
  }
}
