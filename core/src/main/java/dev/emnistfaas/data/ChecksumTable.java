package dev.emnistfaas.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** sha256 and size of each official EMNIST file ("sha256  size  name" lines; '#' starts a comment). */
public record ChecksumTable(Map<String, Entry> entries) {
  public record Entry(String sha256, long size) {}

  /** The table of NIST's files that ships with the project. */
  public static ChecksumTable official() {
    try (InputStream in = ChecksumTable.class.getResourceAsStream("EMNIST-SHA256.txt")) {
      if (in == null) {
        throw new IllegalStateException("EMNIST-SHA256.txt is missing from the classpath");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ChecksumTable parse(String text) {
    Map<String, Entry> m = new TreeMap<>();
    try (BufferedReader r = new BufferedReader(new java.io.StringReader(text))) {
      for (String line; (line = r.readLine()) != null; ) {
        line = line.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\\s+");
        if (f.length != 3 || !f[0].matches("[0-9a-f]{64}")) {
          throw new IllegalArgumentException("checksum table line is not 'sha256 size name': " + line);
        }
        m.put(f[2], new Entry(f[0], Long.parseLong(f[1])));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ChecksumTable(Map.copyOf(m));
  }

  public Optional<Entry> get(String name) {
    return Optional.ofNullable(entries.get(name));
  }
}
