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
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    JSON.writeValue(tmp.toFile(), result);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The global evaluation accuracy against time (left axis) and each worker's progress in epochs (right
   * axis), from the result's evaluations and progress samples.
   */
  static void writePlot(Path file, JsonNode result) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(900).height(540)
        .title("emnist-faas job " + result.path("job").asText() + ": " + result.path("workers").size()
            + " workers, batch " + result.path("config").path("batch").asInt())
        .xAxisTitle("seconds since the job started").yAxisTitle("global evaluation accuracy").build();
    chart.setYAxisGroupTitle(1, "worker progress (epochs)");
    chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
    List<Double> t = new ArrayList<>();
    List<Double> acc = new ArrayList<>();
    for (JsonNode e : result.path("evaluations")) {
      t.add(e.path("seconds").asDouble());
      acc.add(e.path("accuracy").asDouble());
    }
    if (t.isEmpty()) {
      t.add(0.0);
      acc.add(0.0);
    }
    XYSeries accuracy = chart.addSeries("global accuracy", t, acc);
    accuracy.setMarker(SeriesMarkers.CIRCLE);
    double target = result.path("config").path("targetAccuracy").asDouble();
    if (target > 0) {
      XYSeries line = chart.addSeries("target", List.of(t.get(0), Math.max(t.get(t.size() - 1), 1e-3)),
          List.of(target, target));
      line.setMarker(SeriesMarkers.NONE);
    }
    int workers = result.path("workers").size();
    for (int w = 0; w < workers; w++) {
      List<Double> pt = new ArrayList<>();
      List<Double> epochs = new ArrayList<>();
      for (JsonNode p : result.path("progress")) {
        pt.add(p.path("seconds").asDouble());
        epochs.add(p.path("epochs").path(w).asDouble());
      }
      if (pt.isEmpty()) {
        continue;
      }
      XYSeries s = chart.addSeries("worker " + w + " epochs", pt, epochs);
      s.setYAxisGroup(1);
      s.setMarker(SeriesMarkers.NONE);
    }
    Path tmp = file.resolveSibling("tmp-" + file.getFileName());
    BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
