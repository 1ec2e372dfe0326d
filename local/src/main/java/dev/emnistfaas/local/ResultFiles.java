package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A run's files: {@code result.json} and {@code accuracy.png}, each written atomically. */
final class ResultFiles {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ResultFiles() {}

  static void writeJson(Path file, ObjectNode result) throws IOException {
    atomically(file, tmp -> JSON.writeValue(tmp.toFile(), result));
  }

  /** Writes a file's contents to a path, whole or not at all. */
  @FunctionalInterface
  interface Contents {
    void writeTo(Path tmp) throws IOException;
  }

  /** Temporary files being written now: a JVM that exits meanwhile (a second Ctrl-C) removes them. */
  private static final java.util.Set<Path> IN_PROGRESS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Path p : IN_PROGRESS) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          System.err.println("could not remove the unfinished " + p + ": " + e.getMessage());
        }
      }
    }, "emnist-unfinished-files"));
  }

  /**
   * Writes {@code file} through a temporary file beside it, moved into place when complete: a reader never sees
   * half a file, and a run that quits meanwhile leaves no temporary file behind (it left a 0-byte
   * tmp-accuracy.png after a second Ctrl-C).
   */
  static void atomically(Path file, Contents contents) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    IN_PROGRESS.add(tmp);
    try {
      contents.writeTo(tmp);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
      IN_PROGRESS.remove(tmp);
    }
  }

  /**
   * The global evaluation accuracy against time (left axis, in time order, with the target across the whole
   * run) and each worker's progress in epochs (right axis), from the result's evaluations and the progress
   * sampled at every status poll (live figures while a slice runs).
   */
  static void writePlot(Path file, JsonNode result) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(900).height(540)
        .title("emnist-faas job " + result.path("job").asText() + ": " + result.path("workers").size()
            + " workers, batch " + result.path("config").path("batch").asInt())
        .xAxisTitle("seconds since the job started").yAxisTitle("global evaluation accuracy (%)").build();
    chart.setYAxisGroupTitle(1, "worker progress (epochs)");
    chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
    // Evaluations arrive from several workers and are stored as each one finishes: order them by time.
    List<double[]> evals = new ArrayList<>();
    for (JsonNode e : result.path("evaluations")) {
      evals.add(new double[] {e.path("seconds").asDouble(), e.path("accuracy").asDouble()});
    }
    evals.sort(java.util.Comparator.comparingDouble(e -> e[0]));
    double end = Math.max(result.path("wallSeconds").asDouble(), 1e-3);
    for (JsonNode p : result.path("progress")) {
      end = Math.max(end, p.path("seconds").asDouble());
    }
    if (!evals.isEmpty()) {
      end = Math.max(end, evals.get(evals.size() - 1)[0]);
      XYSeries accuracy = chart.addSeries("global accuracy", evals.stream().map(e -> e[0]).toList(),
          evals.stream().map(e -> 100 * e[1]).toList());
      accuracy.setMarker(SeriesMarkers.CIRCLE);
    }
    double target = result.path("config").path("targetAccuracy").asDouble();
    if (target > 0) {
      XYSeries line = chart.addSeries(String.format("target %.0f %%", 100 * target), List.of(0.0, end),
          List.of(100 * target, 100 * target));
      line.setMarker(SeriesMarkers.NONE);
    }
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(end).setYAxisMin(0, 0.0).setYAxisMax(0, 100.0)
        .setYAxisMin(1, 0.0).setXAxisDecimalPattern("#0.#").setYAxisDecimalPattern("#0.#");
    int workers = result.path("workers").size();
    for (int w = 0; w < workers; w++) {
      // The status polls (every 0.2 s) repeat a worker's live figure until it next reports (about every
      // second): only the samples where it changed, and the last, are drawn, so the line joins real reports.
      List<Double> pt = new ArrayList<>();
      List<Double> epochs = new ArrayList<>();
      JsonNode samples = result.path("progress");
      for (int i = 0; i < samples.size(); i++) {
        double e = samples.get(i).path("epochs").path(w).asDouble();
        boolean changed = epochs.isEmpty() || e != epochs.get(epochs.size() - 1);
        if (changed || i == samples.size() - 1) {
          pt.add(samples.get(i).path("seconds").asDouble());
          epochs.add(e);
        }
      }
      if (pt.isEmpty()) {
        continue;
      }
      XYSeries s = chart.addSeries("worker " + w + " epochs", pt, epochs);
      s.setYAxisGroup(1);
      s.setMarker(SeriesMarkers.NONE);
    }
    atomically(file, tmp -> {
      try (java.io.OutputStream png = Files.newOutputStream(tmp)) {
        BitmapEncoder.saveBitmap(chart, png, BitmapEncoder.BitmapFormat.PNG);
      }
    });
  }
}
