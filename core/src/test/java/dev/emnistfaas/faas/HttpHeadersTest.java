package dev.emnistfaas.faas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpHeadersTest {
  @Test
  void findsAHeaderInAnyLetterCase() {
    Map<String, String> headers = Map.of("x-callback-url", "http://a/b", "Content-Type", "application/json");
    assertEquals("http://a/b", HttpHeaders.value(headers, "X-Callback-Url"));
    assertEquals("application/json", HttpHeaders.value(headers, "content-type"));
    assertNull(HttpHeaders.value(headers, "X-Function-Status"));
    assertNull(HttpHeaders.value(null, "X-Function-Status"));
  }
}
