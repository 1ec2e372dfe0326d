package dev.emnistfaas.faas;

import java.util.Map;

/**
 * Header lookup in the plain maps that the OpenFaaS entrypoint and the local gateway hand over: HTTP header
 * names are case-insensitive, and the maps keep whatever case the sender used.
 */
public final class HttpHeaders {
  private HttpHeaders() {}

  /** The value of header {@code name} in any letter case, or null when {@code headers} is null or lacks it. */
  public static String value(Map<String, String> headers, String name) {
    if (headers == null) {
      return null;
    }
    for (var e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }
}
