package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emnistfaas.cli.Main;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emnist command end to end, as a user runs it: train, then score the saved model. */
class EmnistCommandTest {
  @TempDir Path results;

  /** Runs the command in this JVM, capturing what it prints; returns the exit code. */
  private static int run(ByteArrayOutputStream out, String... args) {
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      return Main.run(args);
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void trainWritesResultsAndEvalReproducesTheModelsAccuracy() throws Exception {
    String data = System.getenv("EMNIST_DIR");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = run(out, "train", "--data", data, "--workers", "2", "--slice-seconds", "1", "--results",
        results.toString());
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, printed);
    assertTrue(printed.contains("reached 75.00 %"), printed);

    List<Path> dirs;
    try (Stream<Path> s = Files.list(results)) {
      dirs = s.toList();
    }
    assertEquals(1, dirs.size());
    Path dir = dirs.get(0);
    JsonNode r = new ObjectMapper().readTree(dir.resolve("result.json").toFile());
    assertEquals(dir.getFileName().toString(), r.path("job").asText());
    assertTrue(r.path("reached").asBoolean());
    assertTrue(r.path("bestAccuracy").asDouble() >= 0.75, r.toPrettyString());
    assertEquals(r.path("bestAccuracy").asDouble(), r.path("modelAccuracy").asDouble(), 1e-9);
    assertEquals(2, r.path("workers").size());
    assertEquals(2, r.path("config").path("workers").asInt());
    assertTrue(r.path("evaluations").size() >= 2);
    assertTrue(r.path("secondsToTarget").asDouble() > 0);

    BufferedImage png = ImageIO.read(dir.resolve("accuracy.png").toFile());
    assertNotNull(png, "accuracy.png is not a readable image");
    assertEquals(900, png.getWidth());
    assertEquals(540, png.getHeight());

    ByteArrayOutputStream evalOut = new ByteArrayOutputStream();
    assertEquals(0, run(evalOut, "eval", "--model", dir.resolve("model.bin").toString(), "--data", data));
    Matcher m = Pattern.compile("accuracy (0\\.[0-9]+)").matcher(evalOut.toString(StandardCharsets.UTF_8));
    assertTrue(m.find(), evalOut.toString(StandardCharsets.UTF_8));
    assertEquals(r.path("modelAccuracy").asDouble(), Double.parseDouble(m.group(1)), 1e-6);
  }

  @Test
  void anUnreachableTargetExitsOneAndAMissingDataDirectorySaysWhatToPutWhere() {
    String data = System.getenv("EMNIST_DIR");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = run(out, "train", "--data", data, "--workers", "1", "--target", "0.99", "--max-epochs", "1",
        "--set", "hidden=16", "--results", results.toString());
    assertEquals(1, code, out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("target 99.00 % not reached"));

    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(2, Main.run(new String[] {"train", "--data", results.resolve("nothing-here").toString()}));
    } finally {
      System.setErr(oldErr);
    }
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("emnist-bymerge-test-images-idx3-ubyte.gz"),
        err.toString(StandardCharsets.UTF_8));
  }
}
