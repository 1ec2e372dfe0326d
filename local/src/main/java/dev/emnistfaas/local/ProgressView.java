package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;

/**
 * A job's progress on a terminal: one bar per worker (epoch progress, samples/s, slices, time waiting on
 * Redis) and a line for the global accuracy, redrawn in place. Where output is not a terminal it prints a
 * plain line every few seconds instead. Hand-written: the progress-bar libraries draw one bar per line of
 * output and do not redraw several bars together.
 */
final class ProgressView implements AutoCloseable {
  private static final int WIDTH = 24;
  private final PrintStream out;
  private final boolean terminal;
  private final int maxEpochs;
  private final double target;
  /** On a terminal, stderr while the bars are shown: its lines are held and printed above the bars. */
  private final PrintStream stderr;
  private final HeldLines held = new HeldLines();
  private int drawnLines;
  private long lastPlainMillis;

  /**
   * On a terminal the view holds what is printed to stderr meanwhile (the functions of a local run log there, in
   * this process) and prints it above the bars at each redraw, so that log lines never land between redraws and
   * break the bars; {@link #close} gives stderr back.
   */
  ProgressView(PrintStream out, boolean terminal, int maxEpochs, double target) {
    this.out = out;
    this.terminal = terminal;
    this.maxEpochs = maxEpochs;
    this.target = target;
    this.stderr = System.err;
    if (terminal) {
      System.setErr(new PrintStream(held, true, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** Collects whole lines written to it. */
  private static final class HeldLines extends java.io.OutputStream {
    private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      buffer.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      buffer.write(b, off, len);
    }

    /** The whole lines written so far (a line still being written stays). */
    synchronized String take() {
      String all = buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
      int end = all.lastIndexOf('\n') + 1;
      buffer.reset();
      buffer.writeBytes(all.substring(end).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return all.substring(0, end);
    }

    synchronized String takeAll() {
      String all = buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
      buffer.reset();
      return all;
    }
  }

  void show(JsonNode status, double seconds) {
    if (terminal) {
      // Up to the bars' first line and clear to the end of the screen; the held log lines there; the bars below.
      if (drawnLines > 0) {
        out.print("\u001b[" + drawnLines + "F\u001b[J");
        out.flush();
      }
      String logged = held.take();
      if (!logged.isEmpty()) {
        stderr.print(logged);
        stderr.flush();
      }
      StringBuilder sb = new StringBuilder();
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

  /** Gives stderr back, with what it held. */
  @Override
  public void close() {
    if (terminal) {
      System.setErr(stderr);
      stderr.print(held.takeAll());
      stderr.flush();
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
