package dev.emnistfaas.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the numpy reference scripts of ../shared/bench on one BLAS thread and reads their figures. */
public final class ReferenceScripts {
  private final Path dir;

  public ReferenceScripts(Path dir) {
    if (!Files.isRegularFile(dir.resolve("numpy_step.py"))) {
      throw new IllegalArgumentException("no numpy_step.py in " + dir + " (the reference scripts' directory)");
    }
    this.dir = dir;
  }

  /** samples/s of numpy_step.py at this batch and hidden size. */
  public double stepSamplesPerSecond(int batch, int hidden) {
    return number(run("numpy_step.py", "--batch", "" + batch, "--hidden", "" + hidden), "samples_per_s=([0-9.]+)")
        .orElseThrow(() -> new IllegalStateException("numpy_step.py printed no samples_per_s"));
  }

  /** Seconds to the target from emnist_np.py in a mode ("tuned" or "seed"); NaN when it did not get there. */
  public double secondsToTarget(String mode, Path data, double target) {
    List<String> out = run("emnist_np.py", "--mode", mode, "--data", data.toString(), "--target", "" + target);
    String result = out.stream().filter(l -> l.startsWith("RESULT")).findFirst()
        .orElseThrow(() -> new IllegalStateException("emnist_np.py printed no RESULT line: " + out));
    if (!result.contains("reached=True")) {
      return Double.NaN;
    }
    return number(List.of(result), "seconds=([0-9.]+)").orElseThrow();
  }

  /** cnn_torch.py's figures for one network and batch. */
  public record TorchRun(double stepSamplesPerSecond, java.util.Map<Double, Double> secondsToTarget, double best) {}

  /**
   * Runs cnn_torch.py on one thread: its timed step, and (when {@code epochs} > 0) its training to the targets,
   * evaluating every {@code evalEvery} samples.
   */
  public TorchRun cnnTorch(String python, Path data, String arch, int batch, double epochs, int evalEvery,
      List<Double> targets) {
    List<String> out = runWith(python, "cnn_torch.py", "--data", data.toString(), "--arch", arch, "--batch",
        "" + batch, "--epochs", "" + epochs, "--eval-every", "" + evalEvery, "--threads", "1", "--targets",
        String.join(",", targets.stream().map(t -> "" + t).toList()));
    double step = number(out, "STEP batch [0-9]+: [0-9.]+ ms a step, ([0-9.]+) samples/s")
        .orElseThrow(() -> new IllegalStateException("cnn_torch.py printed no STEP line: " + out));
    java.util.Map<Double, Double> reached = new java.util.TreeMap<>();
    Pattern p = Pattern.compile("RESULT target ([0-9.]+): ([0-9.]+) s of training");
    for (String line : out) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        reached.put(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
      }
    }
    return new TorchRun(step, reached, number(out, "RESULT best ([0-9.]+)").orElse(Double.NaN));
  }

  /**
   * A python3 that imports torch: {@code python3} on the PATH, or Debian's /usr/bin/python3 (where apt-get install
   * python3-torch puts it) when the PATH's has none; empty when neither does.
   */
  public static java.util.Optional<String> torchPython() {
    for (String python : List.of("python3", "/usr/bin/python3")) {
      try {
        Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() == 0) {
          return java.util.Optional.of(python);
        }
      } catch (IOException e) {
        // not this one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return java.util.Optional.empty();
      }
    }
    return java.util.Optional.empty();
  }

  private List<String> run(String script, String... args) {
    return runWith("python3", script, args);
  }

  private List<String> runWith(String python, String script, String... args) {
    List<String> cmd = new ArrayList<>(List.of(python, dir.resolve(script).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    List<String> lines = new ArrayList<>();
    try {
      Process p = pb.start();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      }
      int code = p.waitFor();
      if (code != 0) {
        throw new IllegalStateException(script + " exited with " + code + ": " + String.join("\n", lines));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + script, e);
    }
    return lines;
  }

  private static OptionalDouble number(List<String> lines, String regex) {
    Pattern p = Pattern.compile(regex);
    for (String line : lines) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        return OptionalDouble.of(Double.parseDouble(m.group(1)));
      }
    }
    return OptionalDouble.empty();
  }
}
