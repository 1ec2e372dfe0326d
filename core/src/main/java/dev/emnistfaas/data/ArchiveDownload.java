package dev.emnistfaas.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Fetches NIST's EMNIST archive (gzip.zip) and installs one split's files into a directory. The download
 * resumes where an interrupted one stopped (HTTP Range on {@code .download/gzip.zip.part}); every extracted
 * file is checked against the checksum table before any of them is moved into place, so a corrupt archive
 * leaves the directory as it was.
 */
public final class ArchiveDownload {
  public static final URI NIST_ARCHIVE = URI.create("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip");

  private final URI archive;
  private final ChecksumTable checksums;
  private final PrintStream progress;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
      .connectTimeout(Duration.ofSeconds(20)).build();

  public ArchiveDownload(URI archive, ChecksumTable checksums, PrintStream progress) {
    this.archive = archive;
    this.checksums = checksums;
    this.progress = progress;
  }

  /** Downloads (or resumes) the archive and installs {@code split}'s files into {@code dir}; returns them. */
  public List<Path> install(EmnistSplit split, Path dir) throws IOException, InterruptedException {
    Path work = dir.resolve(".download");
    Files.createDirectories(work);
    Path zip = work.resolve("gzip.zip");
    if (!Files.exists(zip)) {
      fetch(work.resolve("gzip.zip.part"), zip);
    }
    try {
      return extract(zip, split, dir, work);
    } catch (IOException e) {
      // A corrupt archive is not worth resuming: the next attempt downloads it afresh.
      Files.deleteIfExists(zip);
      throw e;
    }
  }

  private void fetch(Path part, Path zip) throws IOException, InterruptedException {
    long have = Files.exists(part) ? Files.size(part) : 0;
    HttpRequest.Builder b = HttpRequest.newBuilder(archive).timeout(Duration.ofMinutes(30));
    if (have > 0) {
      b.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    boolean resumed = r.statusCode() == 206;
    if (r.statusCode() != 200 && !resumed) {
      r.body().close();
      throw new IOException("downloading " + archive + ": HTTP " + r.statusCode());
    }
    long total = r.headers().firstValueAsLong("Content-Length").orElse(-1) + (resumed ? have : 0);
    long done = resumed ? have : 0;
    progress.printf("downloading %s%s%n", archive, resumed ? " (resuming at " + have + " bytes)" : "");
    try (InputStream in = r.body();
        OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
            resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] buf = new byte[1 << 16];
      long shown = System.nanoTime();
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        done += n;
        if (System.nanoTime() - shown > 1_000_000_000L) {
          shown = System.nanoTime();
          progress.printf("  %s%n", bar(done, total));
        }
      }
    }
    if (total > 0 && done != total) {
      throw new IOException("download of " + archive + " stopped at " + done + " of " + total
          + " bytes; run again to resume");
    }
    progress.printf("  %s%n", bar(done, total));
    Files.move(part, zip, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static String bar(long done, long total) {
    if (total <= 0) {
      return String.format("%,d bytes", done);
    }
    int filled = (int) (30 * done / total);
    return String.format("[%s%s] %5.1f %%  %,d of %,d bytes", "#".repeat(filled), ".".repeat(30 - filled),
        100.0 * done / total, done, total);
  }

  private List<Path> extract(Path zip, EmnistSplit split, Path dir, Path work) throws IOException {
    List<Path> staged = new ArrayList<>();
    List<Path> installed = new ArrayList<>();
    String prefix = "emnist-" + split.id() + "-";
    try (ZipFile z = new ZipFile(zip.toFile())) {
      var entries = z.stream().filter(e -> !e.isDirectory())
          .filter(e -> Path.of(e.getName()).getFileName().toString().startsWith(prefix)).toList();
      if (entries.isEmpty()) {
        throw new IOException(zip + ": the archive has no files of split " + split.id());
      }
      for (ZipEntry e : entries) {
        String name = Path.of(e.getName()).getFileName().toString();
        Path tmp = work.resolve(name + ".tmp");
        staged.add(tmp);
        String sha = Sha256.copy(z.getInputStream(e), tmp);
        var expected = checksums.get(name);
        if (expected.isPresent() && (!expected.get().sha256().equals(sha) || expected.get().size() != Files.size(tmp))) {
          throw new IOException(name + ": checksum mismatch, sha256 " + sha + " (" + Files.size(tmp)
              + " bytes), expected " + expected.get().sha256() + " (" + expected.get().size() + " bytes)");
        }
        if (expected.isEmpty() && name.endsWith("-mapping.txt")) {
          LabelMapping.read(tmp);
        } else if (expected.isEmpty()) {
          throw new IOException(name + ": not in the checksum table; refusing an unknown file");
        }
      }
      for (Path tmp : staged) {
        String name = tmp.getFileName().toString().replaceFirst("\\.tmp$", "");
        Path target = dir.resolve(name);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        installed.add(target);
      }
      return installed;
    } finally {
      for (Path tmp : staged) {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
