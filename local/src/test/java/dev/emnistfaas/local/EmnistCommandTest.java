package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
    assertTrue(printed.matches("(?s).*\nlive page: http://127\\.0\\.0\\.1:\\d+/function/emnist-setup\\?job=[0-9a-f]{8}  .*"),
        printed);

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
    assertTrue(!evalOut.toString(StandardCharsets.UTF_8).contains("note:"), "the eval part is held out");

    // Only the official test file is present here, so most of it is the training part: eval says so.
    ByteArrayOutputStream testOut = new ByteArrayOutputStream();
    Path json = results.resolve("eval-test.json");
    assertEquals(0, run(testOut, "eval", "--model", dir.resolve("model.bin").toString(), "--data", data, "--part",
        "TEST", "--json", json.toString()));
    assertTrue(testOut.toString(StandardCharsets.UTF_8).contains("(90.0 %) are in the training part"),
        testOut.toString(StandardCharsets.UTF_8));
    JsonNode e = new ObjectMapper().readTree(json.toFile());
    assertEquals(116_323, e.path("images").asInt());
    assertEquals(116_323 - 11_632, e.path("imagesInTrainingPart").asInt());
    assertTrue(!e.path("heldOut").asBoolean());
    assertTrue(e.path("note").asText().contains("not a held-out score"), e.toPrettyString());

    // The same model without its result.json: what it trained on is unknown, and the note says so.
    Path alone = Files.createDirectories(results.resolve("alone"));
    Files.copy(dir.resolve("model.bin"), alone.resolve("model.bin"));
    ByteArrayOutputStream aloneOut = new ByteArrayOutputStream();
    assertEquals(0, run(aloneOut, "eval", "--model", alone.resolve("model.bin").toString(), "--data", data,
        "--part", "TEST"));
    assertTrue(aloneOut.toString(StandardCharsets.UTF_8).contains("note: the run that made this model left no "
        + "result.json beside it, so what it trained on is unknown; if it trained on this folder: "),
        aloneOut.toString(StandardCharsets.UTF_8));
    // A model whose run trained on another folder: none of these images was in its training part.
    ObjectNode elsewhere = (ObjectNode) r.deepCopy();
    ((ObjectNode) elsewhere.path("config")).put("dataDir", "/somewhere/else");
    Files.writeString(alone.resolve("result.json"), elsewhere.toString());
    ByteArrayOutputStream otherOut = new ByteArrayOutputStream();
    assertEquals(0, run(otherOut, "eval", "--model", alone.resolve("model.bin").toString(), "--data", data,
        "--part", "TEST"));
    assertFalse(otherOut.toString(StandardCharsets.UTF_8).contains("note:"), otherOut.toString(StandardCharsets.UTF_8));
  }

  /** Runs the command in this JVM; its exit code, and what it printed on stdout and stderr. */
  private record Printed(int code, String out, String err) {}

  private static Printed runCapturing(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Printed(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** A mistake: exit 2, these error lines, no stack trace, and nothing started (no gateway, no job). */
  private static void assertMistake(Printed p, String... lines) {
    assertEquals(2, p.code(), p.out() + p.err());
    for (String line : lines) {
      assertTrue(p.err().contains("error: " + line), "missing 'error: " + line + "' in:\n" + p.err());
    }
    assertTrue(!p.err().contains("\tat "), "a stack trace:\n" + p.err());
    assertTrue(!p.out().contains("gateway ") && !p.out().contains("job "), "something started:\n" + p.out());
  }

  @Test
  void everyMistakeIsOneErrorLineNamingTheOptionBeforeAnythingStarts() throws Exception {
    String data = System.getenv("EMNIST_DIR");
    assertMistake(runCapturing("train", "--data", data, "--workers", "0"),
        "--workers: must be in 1..1024, got 0");
    assertMistake(runCapturing("train", "--data", data, "--batch", "-5", "--lr", "-1", "--target", "1.5", "--hidden",
        "0"), "--batch: must be in 1..4096, got -5", "--lr: must be in (0, 10], got -1.0",
        "--target: must be in [0, 1], got 1.5", "--hidden: must be in 1..4096, got 0");
    assertMistake(runCapturing("train", "--data", data, "--set", "wrokers=2"), "--set wrokers: unknown field");
    assertMistake(runCapturing("train", "--data", data, "--set", "batch=abc"),
        "--set batch: must be a whole number (32-bit), got \"abc\"");
    assertMistake(runCapturing("train", "--data", data, "--scenario", "no-such.yml"),
        "--scenario: no-such.yml not found");
    Path broken = Files.writeString(results.resolve("broken.yml"), "workers: [2\n");
    Printed notYaml = runCapturing("train", "--data", data, "--scenario", broken.toString());
    assertMistake(notYaml, "--scenario: " + broken + ": not YAML (");
    assertFalse(notYaml.err().contains("Source:") || notYaml.err().contains("REDACTED"), notYaml.err());
    // Where the results go is checked before anything starts, not after the whole job ran.
    assertMistake(runCapturing("train", "--data", data, "--results", "/proc/nope"),
        "--results: cannot write to /proc/nope (");
    assertMistake(runCapturing("train", "--data", data, "--set", "dropout"),
        "Value for option '--set' (<String=String>) should be in KEY=VALUE format but was dropout");
    assertFalse(runCapturing("train", "--data", data, "--set", "dropout").err().contains("option option"));
    assertMistake(runCapturing("train", "--data", data, "--wokers", "2"), "Unknown options: '--wokers', '2'");
    assertMistake(runCapturing("train", "--data", data, "--network", "c16k3-x"),
        "--network: c16k3-x: 'x': not a layer (cNkK convolution, p2 pooling, fN dense)");
    assertMistake(runCapturing("scale", "--data", data, "--network", "c16k4"),
        "--network: c16k4: 'c16k4': need 1..1024 filters and an odd kernel 1..11 ('same' padding)");

    Path truncated = Files.createDirectories(results.resolve("truncated"));
    for (String f : List.of("emnist-bymerge-mapping.txt", "emnist-bymerge-test-labels-idx1-ubyte.gz")) {
      Files.copy(Path.of(data, f), truncated.resolve(f));
    }
    byte[] images = Files.readAllBytes(Path.of(data, "emnist-bymerge-test-images-idx3-ubyte.gz"));
    Files.write(truncated.resolve("emnist-bymerge-test-images-idx3-ubyte.gz"),
        java.util.Arrays.copyOf(images, images.length / 2));
    assertMistake(runCapturing("train", "--data", truncated.toString()),
        truncated.resolve("emnist-bymerge-test-images-idx3-ubyte.gz") + ": truncated");

    assertMistake(runCapturing("eval", "--model", "/nonexistent", "--data", data), "--model: /nonexistent is not a file");
    Path notAModel = Files.writeString(results.resolve("model.bin"), "hello");
    assertMistake(runCapturing("eval", "--model", notAModel.toString(), "--data", data),
        "--model: " + notAModel + ": not an emnist-faas model");
    assertMistake(runCapturing("eval", "--model", notAModel.toString(), "--part", "bogus"),
        "Invalid value for option '--part': expected one of [EVAL, TRAIN, TEST] (case-insensitive) but was 'bogus'");
    assertMistake(runCapturing("serve", "--data", data, "--pods", "0", "--queue-workers", "0", "--port", "70000"),
        "--port: must be 0 (any free port) to 65535, got 70000", "--pods: must be at least 1, got 0",
        "--queue-workers: must be at least 1, got 0");
    assertMistake(runCapturing("report", results.resolve("no-run").toString()), "ROOT: ");

    assertMistake(runCapturing("data", "bake", "--data", data, "--project", results.toString()),
        "--project: " + results + " holds no emnist.yml (the project's checkout)");
    assertMistake(runCapturing("data", "bake", "--data", data, "--split", "bymorge"),
        "--split: unknown EMNIST split 'bymorge'; expected one of [byclass, bymerge, balanced, letters, digits, mnist]");

    Printed debug = runCapturing("train", "--data", data, "--workers", "0", "--debug");
    assertEquals(2, debug.code());
    assertTrue(debug.err().contains("\tat dev.emnistfaas.cli.TrainCommand.call"), debug.err());

    Printed version = runCapturing("--version");
    assertEquals(0, version.code());
    assertTrue(version.out().matches("(?s)emnist \\d+\\.\\d+\\.\\d+.*, commit .*"), version.out());
  }

  @Test
  void dataBakeFillsTheHandlerFoldersAndSaysWhatItChecked() throws Exception {
    Path project = Files.createDirectories(results.resolve("checkout"));
    Files.writeString(project.resolve("emnist.yml"), "version: 1.0\n");
    Path data = Path.of(System.getenv("EMNIST_DIR"));
    var mapping = dev.emnistfaas.data.LabelMapping.read(data.resolve("emnist-bymerge-mapping.txt"));
    Path model = results.resolve("small.bin");
    dev.emnistfaas.nn.ModelFile.of(dev.emnistfaas.nn.ParameterVector.initial(new dev.emnistfaas.nn.MlpNetwork(784, 8,
        mapping.classes()), 1), mapping).write(model);
    Path mnistModel = results.resolve("mnist.bin");
    dev.emnistfaas.nn.ModelFile.of(dev.emnistfaas.nn.ParameterVector.initial(new dev.emnistfaas.nn.MlpNetwork(784, 8,
        10), 1), dev.emnistfaas.data.LabelMapping.of(48, 49, 50, 51, 52, 53, 54, 55, 56, 57)).write(mnistModel);
    assertMistake(runCapturing("data", "bake", "--data", data.toString(), "--project", project.toString(),
        "--model", "digits=" + mnistModel, "--model", "a b=" + model),
        "--model digits: " + mnistModel + " has 10 classes, bymerge has 47",
        "--model a b: a name is 1-64 letters, digits, '-' or '_'");
    assertFalse(Files.exists(project.resolve("predict-fn")), "a refused bake wrote a folder");
    Printed p = runCapturing("data", "bake", "--data", data.toString(), "--project", project.toString(),
        "--model", "small=" + model);
    assertEquals(0, p.code(), p.out() + p.err());
    assertTrue(Files.readString(project.resolve("predict-fn/data/SHA256SUMS")).matches(
        "956dc507bf69e9f31f4e3e876d22ec66124aa229b5d0bd65ab8956a8044d3ede  emnist-bymerge-mapping.txt\n"
        + "[0-9a-f]{64}  model-small.bin\n"), Files.readString(project.resolve("predict-fn/data/SHA256SUMS")));
    assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(project.resolve("predict-fn/data/model-small.bin")));
    assertTrue(p.out().contains("emnist-bymerge-test-images-idx3-ubyte.gz       28,905,295 bytes  sha256 matches NIST's"),
        p.out());
    assertTrue(Files.readString(project.resolve("train-fn/data/SHA256SUMS")).contains(
        "5e5815ec1b522089134435f7c55e75a00960b58414793593ffff23efc0821683  emnist-bymerge-test-images-idx3-ubyte.gz"));
    assertEquals("956dc507bf69e9f31f4e3e876d22ec66124aa229b5d0bd65ab8956a8044d3ede  emnist-bymerge-mapping.txt\n",
        Files.readString(project.resolve("setup-fn/data/SHA256SUMS")));
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
