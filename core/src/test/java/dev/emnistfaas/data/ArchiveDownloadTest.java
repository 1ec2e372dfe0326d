package dev.emnistfaas.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive download against a small archive served on loopback, with Range support like NIST's server. */
class ArchiveDownloadTest {
  @TempDir Path dir;
  private HttpServer server;
  private byte[] archive;
  private final List<String> ranges = new ArrayList<>();
  private final Map<String, byte[]> members = new LinkedHashMap<>();

  @BeforeEach
  void serve() throws IOException {
    int n = 30;
    members.put("gzip/emnist-digits-test-images-idx3-ubyte.gz", gzip(idx(0x803, new int[] {n, 28, 28}, new byte[n * 784])));
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 10);
    }
    members.put("gzip/emnist-digits-test-labels-idx1-ubyte.gz", gzip(idx(0x801, new int[] {n}, labels)));
    StringBuilder mapping = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      mapping.append(i).append(' ').append(48 + i).append('\n');
    }
    members.put("gzip/emnist-digits-mapping.txt", mapping.toString().getBytes(StandardCharsets.US_ASCII));
    members.put("gzip/emnist-letters-mapping.txt", "1 65 97\n".getBytes(StandardCharsets.US_ASCII));
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      for (var e : members.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    archive = zip.toByteArray();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/gzip.zip", ex -> {
      String range = ex.getRequestHeaders().getFirst("Range");
      int from = 0;
      if (range != null) {
        ranges.add(range);
        from = Integer.parseInt(range.replaceAll("bytes=([0-9]+)-", "$1"));
      }
      ex.getResponseHeaders().set("Content-Length", "" + (archive.length - from));
      ex.sendResponseHeaders(from > 0 ? 206 : 200, archive.length - from);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(archive, from, archive.length - from);
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/gzip.zip");
  }

  private ChecksumTable table(boolean corruptLabels) throws Exception {
    StringBuilder t = new StringBuilder("# test table\n");
    for (var e : members.entrySet()) {
      String name = Path.of(e.getKey()).getFileName().toString();
      if (name.endsWith(".gz")) {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(e.getValue()));
        if (corruptLabels && name.contains("labels")) {
          sha = sha.replace(sha.charAt(0), sha.charAt(0) == 'a' ? 'b' : 'a');
        }
        t.append(sha).append("  ").append(e.getValue().length).append("  ").append(name).append('\n');
      }
    }
    return ChecksumTable.parse(t.toString());
  }

  private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeInt(magic);
    for (int x : dims) {
      d.writeInt(x);
    }
    d.write(data);
    return b.toByteArray();
  }

  private static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(b)) {
      g.write(raw);
    }
    return b.toByteArray();
  }

  private List<String> filesIn(Path d) throws IOException {
    try (Stream<Path> s = Files.walk(d)) {
      return s.filter(Files::isRegularFile).map(p -> d.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void installsOneSplitsCheckedFiles() throws Exception {
    List<Path> installed = new ArchiveDownload(url(), table(false), new PrintStream(new ByteArrayOutputStream()))
        .install(EmnistSplit.DIGITS, dir);
    assertEquals(3, installed.size());
    assertEquals(List.of(".download/gzip.zip", "emnist-digits-mapping.txt",
        "emnist-digits-test-images-idx3-ubyte.gz", "emnist-digits-test-labels-idx1-ubyte.gz"), filesIn(dir));
    EmnistDataset d = EmnistDataset.load(EmnistDataset.Source.of(dir));
    assertEquals(30, d.train().size() + d.eval().size());
    assertTrue(ranges.isEmpty());
  }

  @Test
  void anInterruptedDownloadResumesWhereItStopped() throws Exception {
    Files.createDirectories(dir.resolve(".download"));
    Files.write(dir.resolve(".download/gzip.zip.part"), java.util.Arrays.copyOf(archive, 100));
    new ArchiveDownload(url(), table(false), new PrintStream(new ByteArrayOutputStream())).install(EmnistSplit.DIGITS, dir);
    assertEquals(List.of("bytes=100-"), ranges);
    EmnistDataset d = EmnistDataset.load(EmnistDataset.Source.of(dir));
    assertEquals(30, d.train().size() + d.eval().size());
  }

  @Test
  void aCorruptArchiveFailsOnTheChecksumAndInstallsNothing() throws Exception {
    ArchiveDownload download = new ArchiveDownload(url(), table(true), new PrintStream(new ByteArrayOutputStream()));
    IOException e = assertThrows(IOException.class, () -> download.install(EmnistSplit.DIGITS, dir));
    assertTrue(e.getMessage().startsWith("emnist-digits-test-labels-idx1-ubyte.gz: checksum mismatch"),
        e.getMessage());
    assertEquals(List.of(), filesIn(dir), "a failed install left files behind");
    assertFalse(Files.exists(dir.resolve(".download/gzip.zip")));
  }
}
