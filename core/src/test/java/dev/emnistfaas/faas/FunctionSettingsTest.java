package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway addresses a function reads from its environment. */
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

  @Test
  void anAddressWithoutSchemeOrHostIsRefusedByName() {
    String m = assertThrows(IllegalArgumentException.class,
        () -> read(Map.of("public_gateway_url", "faas.example.com:31112"))).getMessage();
    assertEquals("environment: public_gateway_url=faas.example.com:31112 is not an http(s) address with a host,"
        + " like http://gateway.example.com:8080", m);
    m = assertThrows(IllegalArgumentException.class, () -> read(Map.of("gateway_url", "http://bad host"))).getMessage();
    assertEquals("environment: gateway_url=http://bad host is not an address: Illegal character in authority", m);
  }
}
