package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;

/**
 * A job's progress on a terminal: one bar per worker (epoch progress, samples/s, slices, time waiting on
 * Redis) and a line for the global accuracy, redrawn in place. Where output is not a terminal it prints a
 * plain line every few seconds instead. Hand-written: the progress-bar libraries draw one bar per line of
 * output and do not redraw several bars together.
 */
final class ProgressView {
  private static final int WIDTH = 24;
  private final PrintStream out;
  private final boolean terminal;
  private final int maxEpochs;
  private final double target;
  private int drawnLines;
  private long lastPlainMillis;

  ProgressView(PrintStream out, boolean terminal, int maxEpochs, double target) {
    this.out = out;
    this.terminal = terminal;
    this.maxEpochs = maxEpochs;
    this.target = target;
  }

  void show(JsonNode status, double seconds) {
    if (terminal) {
      StringBuilder sb = new StringBuilder();
      if (drawnLines > 0) {
        sb.append("\u001b[").append(drawnLines).append('F');
      }
      int lines = 0;
      for (JsonNode w : status.path("workers")) {
        sb.append("\u001b[2K").append(workerLine(w)).append('\n');
        lines++;
      }
      sb.append("\u001b[2K").append(globalLine(status, seconds)).append('\n');
      drawnLines = lines + 1;
      out.print(sb);
      out.flush();
    } else if (System.currentTimeMillis() - lastPlainMillis >= 2000) {
      lastPlainMillis = System.currentTimeMillis();
      out.println(globalLine(status, seconds));
    }
  }

  private String workerLine(JsonNode w) {
    double epochs = w.path("epochs").asDouble();
    double within = epochs - Math.floor(epochs);
    // A done worker's bar is full only if it trained: one that never did (it waited out the job) shows empty.
    boolean trained = w.path("samples").asLong() > 0;
    int filled = "done".equals(w.path("state").asText()) && trained ? WIDTH : (int) Math.round(within * WIDTH);
    double warm = w.path("warmStartSeconds").asDouble();
    return String.format("worker %-2d [%s%s] epoch %d/%d %3.0f %%  %,8.0f samples/s  %3d slices  on Redis %4.1f %%  %s%s",
        w.path("worker").asInt(), "#".repeat(filled), ".".repeat(WIDTH - filled),
        Math.min(maxEpochs, (int) Math.floor(epochs) + 1), maxEpochs, 100 * within,
        w.path("samplesPerSecond").asDouble(), w.path("slices").asInt(), 100 * w.path("waitFraction").asDouble(),
        w.path("state").asText(), (warm >= 0.1 ? String.format(" (waited %.1f s for the warm start)", warm) : "")
            + ("done".equals(w.path("state").asText()) && !trained ? " (trained nothing)" : ""));
  }

  private String globalLine(JsonNode s, double seconds) {
    JsonNode evals = s.path("evaluations");
    // The evaluation with the latest time is the current one (several workers evaluate, each stores on finishing).
    JsonNode last = null;
    for (JsonNode e : evals) {
      if (last == null || e.path("seconds").asDouble() >= last.path("seconds").asDouble()) {
        last = e;
      }
    }
    String accuracy = last == null ? "global accuracy   –     (no evaluation yet)"
        : String.format("global accuracy %5.2f %% (best %5.2f %%)", 100 * last.path("accuracy").asDouble(),
            100 * s.path("bestAccuracy").asDouble());
    return String.format("%s, target %.2f %%  %6.1f s%s", accuracy, 100 * target, seconds,
        s.has("warning") ? "  warning: " + s.path("warning").asText() : "");
  }
}
