package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The benchmark suite's report: from {@code ROOT/<scenario>/round-<n>/…/result.json} (a round that failed leaves
 * {@code round-<n>.failed} with the reason), one table per scenario in the predecessor's layout — Round, Time
 * (s), Iterations, a column per worker — with Avg and Stdev rows, and a PNG comparing the scenarios.
 */
public final class BenchmarkReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One round of one scenario: its result, or why it failed. */
  record Round(int number, JsonNode result, String failure) {}

  private BenchmarkReport() {}

  /** Writes {@code results.md} and {@code scenarios.png} into {@code out}; returns the markdown. */
  public static String write(Path root, Path out) throws IOException {
    Map<String, List<Round>> scenarios = collect(root);
    StringBuilder md = new StringBuilder("# Benchmark results\n\n");
    md.append("Time (s): seconds from the job's creation until the global evaluation accuracy reached the target. "
        + "Iterations: epochs of its shard the slowest worker began. Worker i: seconds until worker i finished.\n\n");
    md.append("| Scenario | Rounds reached | Avg time (s) | Stdev (s) |\n|---|---|---|---|\n");
    Map<String, double[]> summary = new TreeMap<>();
    for (var e : scenarios.entrySet()) {
      double[] times = e.getValue().stream().filter(r -> r.result() != null && r.result().path("reached").asBoolean())
          .mapToDouble(r -> r.result().path("secondsToTarget").asDouble()).toArray();
      summary.put(e.getKey(), new double[] {mean(times), stdev(times)});
      md.append(String.format("| %s | %d of %d | %s | %s |%n", e.getKey(), times.length, e.getValue().size(),
          fmt(mean(times)), fmt(stdev(times))));
    }
    for (var e : scenarios.entrySet()) {
      md.append('\n').append(table(e.getKey(), e.getValue()));
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("results.md"), md.toString());
    plot(summary, out.resolve("scenarios.png"));
    return md.toString();
  }

  private static Map<String, List<Round>> collect(Path root) throws IOException {
    Map<String, List<Round>> out = new TreeMap<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path scenario : dirs.filter(Files::isDirectory).sorted().toList()) {
        List<Round> rounds = new ArrayList<>();
        try (Stream<Path> entries = Files.list(scenario)) {
          for (Path p : entries.sorted().toList()) {
            String name = p.getFileName().toString();
            if (name.matches("round-[0-9]+\\.failed")) {
              rounds.add(new Round(number(name), null, Files.readString(p).strip()));
            } else if (Files.isDirectory(p) && name.matches("round-[0-9]+")) {
              try (Stream<Path> files = Files.walk(p)) {
                Path result = files.filter(f -> f.getFileName().toString().equals("result.json")).findFirst()
                    .orElse(null);
                rounds.add(result == null ? new Round(number(name), null, "no result.json")
                    : new Round(number(name), JSON.readTree(result.toFile()), null));
              }
            }
          }
        }
        rounds.sort((a, b) -> a.number() - b.number());
        out.put(scenario.getFileName().toString(), rounds);
      }
    }
    return out;
  }

  private static int number(String name) {
    return Integer.parseInt(name.replaceAll("[^0-9]", ""));
  }

  private static String table(String scenario, List<Round> rounds) {
    int workers = rounds.stream().filter(r -> r.result() != null)
        .mapToInt(r -> r.result().path("workers").size()).max().orElse(0);
    StringBuilder sb = new StringBuilder("## ").append(scenario).append("\n\n| Round | Time (s) | Iterations |");
    for (int w = 0; w < workers; w++) {
      sb.append(" Worker ").append(w).append(" |");
    }
    sb.append("\n|---|---|---|").append("---|".repeat(workers)).append('\n');
    List<double[]> columns = new ArrayList<>();
    for (int c = 0; c < 2 + workers; c++) {
      columns.add(new double[0]);
    }
    for (Round r : rounds) {
      sb.append("| ").append(r.number()).append(" | ");
      if (r.result() == null) {
        sb.append("failed: ").append(r.failure().replace('|', '/').replace('\n', ' ')).append(" |  |")
            .append(" |".repeat(workers)).append('\n');
        continue;
      }
      JsonNode res = r.result();
      boolean reached = res.path("reached").asBoolean();
      double time = res.path("secondsToTarget").asDouble();
      double iterations = 0;
      for (JsonNode w : res.path("workers")) {
        iterations = Math.max(iterations, Math.ceil(w.path("epochs").asDouble()));
      }
      sb.append(reached ? fmt(time) : "not reached (best " + fmt(100 * res.path("bestAccuracy").asDouble()) + " %)")
          .append(" | ").append((int) iterations).append(" |");
      if (reached) {
        columns.set(0, append(columns.get(0), time));
      }
      columns.set(1, append(columns.get(1), iterations));
      int w = 0;
      for (JsonNode worker : res.path("workers")) {
        double t = worker.path("finishedSeconds").asDouble();
        sb.append(' ').append(fmt(t)).append(" |");
        columns.set(2 + w, append(columns.get(2 + w), t));
        w++;
      }
      sb.append(" |".repeat(workers - w)).append('\n');
    }
    sb.append("| Avg |");
    columns.forEach(c -> sb.append(' ').append(fmt(mean(c))).append(" |"));
    sb.append("\n| Stdev |");
    columns.forEach(c -> sb.append(' ').append(fmt(stdev(c))).append(" |"));
    return sb.append('\n').toString();
  }

  private static void plot(Map<String, double[]> summary, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    CategoryChart chart = new CategoryChartBuilder().width(1000).height(560)
        .title("Time to target by scenario (mean of rounds; bars: one standard deviation)")
        .xAxisTitle("scenario").yAxisTitle("seconds").build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisLabelRotation(45);
    List<String> names = new ArrayList<>();
    List<Double> means = new ArrayList<>();
    List<Double> errors = new ArrayList<>();
    summary.forEach((name, v) -> {
      names.add(name.replaceFirst("^emnist-", ""));
      means.add(Double.isNaN(v[0]) ? 0 : v[0]);
      errors.add(Double.isNaN(v[1]) ? 0 : v[1]);
    });
    if (names.isEmpty()) {
      names.add("none");
      means.add(0.0);
      errors.add(0.0);
    }
    chart.addSeries("time to target", names, means, errors);
    // A round top with room for the error bars, so the axis gets several readable ticks.
    double top = 0;
    for (int i = 0; i < means.size(); i++) {
      top = Math.max(top, means.get(i) + errors.get(i));
    }
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(niceCeiling(top * 1.1)).setYAxisDecimalPattern("#0.#")
        .setYAxisTickMarkSpacingHint(40);
    ResultFiles.atomically(file, tmp -> {
      try (java.io.OutputStream png = Files.newOutputStream(tmp)) {
        BitmapEncoder.saveBitmap(chart, png, BitmapEncoder.BitmapFormat.PNG);
      }
    });
  }

  /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code v} (1 for nothing to show). */
  static double niceCeiling(double v) {
    if (!(v > 0)) {
      return 1;
    }
    double power = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * power >= v) {
        return step * power;
      }
    }
    return 10 * power;
  }

  private static double[] append(double[] a, double v) {
    double[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = v;
    return out;
  }

  static double mean(double[] v) {
    return v.length == 0 ? Double.NaN : java.util.Arrays.stream(v).average().orElse(Double.NaN);
  }

  /** Sample standard deviation (n − 1); undefined for fewer than two values. */
  static double stdev(double[] v) {
    if (v.length < 2) {
      return Double.NaN;
    }
    double m = mean(v);
    double sq = 0;
    for (double x : v) {
      sq += (x - m) * (x - m);
    }
    return Math.sqrt(sq / (v.length - 1));
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.2f", v);
  }
}
