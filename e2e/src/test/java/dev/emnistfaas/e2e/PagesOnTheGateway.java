package dev.emnistfaas.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * The pages and emnist-predict through the real gateway, of-watchdog and Java entrypoint, after a job has trained:
 * what a browser gets (pages, the chart library, their content types) and what a prediction gets as pixels, as a
 * base64 picture, and as a raw binary picture (which the entrypoint cannot pass on intact).
 */
final class PagesOnTheGateway {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Characters sent; they come from the official test file, most of them in the job's training part. */
  private static final int CHARACTERS = 200;

  private PagesOnTheGateway() {}

  static void check(URI gateway, String job) throws IOException, InterruptedException {
    HttpResponse<String> page = get(gateway.resolve("/function/emnist-setup?job=" + job), "text/html");
    assertEquals(200, page.statusCode(), page.body());
    assertTrue(contentType(page).startsWith("text/html"), contentType(page));
    assertTrue(page.body().contains("id=\"accuracy\""), page.body());
    HttpResponse<String> uplot = get(gateway.resolve("/function/emnist-setup?asset=uPlot.iife.min.js"), "*/*");
    assertEquals(200, uplot.statusCode());
    assertTrue(contentType(uplot).startsWith("text/javascript"), contentType(uplot));
    assertTrue(uplot.body().length() > 40_000 && uplot.body().contains("uPlot"), "uPlot arrived cut short");
    HttpResponse<String> status = get(gateway.resolve("/function/emnist-setup?job=" + job), "*/*");
    assertTrue(contentType(status).startsWith("application/json"), "curl's status: " + contentType(status));
    HttpResponse<String> draw = get(gateway.resolve("/function/emnist-predict"), "text/html");
    assertEquals(200, draw.statusCode(), draw.body());
    assertTrue(draw.body().contains("<canvas id=\"pad\""), draw.body());

    Path data = Path.of(System.getenv("EMNIST_DIR"));
    byte[] images = gunzip(data.resolve("emnist-bymerge-test-images-idx3-ubyte.gz"), 16 + CHARACTERS * 784);
    byte[] labels = gunzip(data.resolve("emnist-bymerge-test-labels-idx1-ubyte.gz"), 8 + CHARACTERS);
    Map<Integer, String> mapping = mapping(data.resolve("emnist-bymerge-mapping.txt"));
    URI predict = gateway.resolve("/function/emnist-predict");
    int right = 0;
    for (int i = 0; i < CHARACTERS; i++) {
      int[] upright = upright(images, i);
      ObjectNode body = JSON.createObjectNode().put("job", job);
      var pixels = body.putArray("pixels");
      for (int v : upright) {
        pixels.add(v);
      }
      HttpResponse<String> r = post(predict, body.toString(), "application/json");
      assertEquals(200, r.statusCode(), r.body());
      String top = JSON.readTree(r.body()).path("top").path(0).path("char").asText();
      right += mapping.get(labels[8 + i] & 0xff).contains(top) ? 1 : 0;
    }
    System.out.println("E2E emnist-predict through the gateway: " + right + " of " + CHARACTERS
        + " characters of the official test file read right");
    // The job stops at 75 %: 65 % leaves room for chance over 200 characters (this checks the path, the browser
    // suite checks the 70 % a person drawing should see).
    assertTrue(right >= 0.65 * CHARACTERS, right + " of " + CHARACTERS);

    byte[] png = png(upright(images, 0), 8);
    HttpResponse<String> picture = post(URI.create(predict + "?job=" + job),
        Base64.getEncoder().encodeToString(png), "image/png");
    assertEquals(200, picture.statusCode(), picture.body());
    JsonNode read = JSON.readTree(picture.body());
    assertEquals(5, read.path("top").size(), picture.body());
    HttpResponse<String> raw = HTTP.send(HttpRequest.newBuilder(URI.create(predict + "?job=" + job))
        .header("Content-Type", "image/png").header("Authorization", BEARER).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(415, raw.statusCode(), raw.body());
    assertTrue(raw.body().contains("raw binary"), raw.body());
    System.out.println("E2E emnist-predict through the gateway: a base64 PNG read as '"
        + read.path("top").path(0).path("char").asText() + "'; the same PNG raw answered 415 (the entrypoint "
        + "reads bodies as UTF-8)");
  }

  private static final String BEARER = "Bearer " + CeHarness.API_TOKEN;

  private static HttpResponse<String> get(URI uri, String accept) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri).header("Accept", accept).header("Authorization", BEARER)
        .timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(URI uri, String body, String type) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri).header("Content-Type", type).header("Authorization", BEARER)
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String contentType(HttpResponse<?> r) {
    return r.headers().firstValue("Content-Type").orElse("");
  }

  private static byte[] gunzip(Path file, int bytes) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      byte[] out = new byte[bytes];
      new DataInputStream(in).readFully(out);
      return out;
    }
  }

  /** Image {@code i} of an idx3 file's first bytes, upright (EMNIST stores characters transposed). */
  private static int[] upright(byte[] idx, int i) {
    int[] out = new int[784];
    for (int r = 0; r < 28; r++) {
      for (int c = 0; c < 28; c++) {
        out[r * 28 + c] = idx[16 + i * 784 + c * 28 + r] & 0xff;
      }
    }
    return out;
  }

  private static Map<Integer, String> mapping(Path file) throws IOException {
    Map<Integer, String> out = new HashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2) {
        StringBuilder chars = new StringBuilder();
        for (int k = 1; k < f.length; k++) {
          chars.appendCodePoint(Integer.parseInt(f[k]));
        }
        out.merge(Integer.parseInt(f[0]), chars.toString(), String::concat);
      }
    }
    return out;
  }

  private static byte[] png(int[] upright, int scale) throws IOException {
    BufferedImage p = new BufferedImage(28 * scale, 28 * scale, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 28 * scale; y++) {
      for (int x = 0; x < 28 * scale; x++) {
        int v = 255 - upright[(y / scale) * 28 + x / scale];
        p.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(p, "png", out);
    return out.toByteArray();
  }
}
