package dev.emnistfaas.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The live bars on a terminal: log lines printed meanwhile go above them, never between two redraws. */
class ProgressViewTest {
  private static final JsonNode STATUS = parse("{\"workers\": [{\"worker\": 0, \"state\": \"training\", "
      + "\"epochs\": 0.5, \"samples\": 100, \"samplesPerSecond\": 5000, \"slices\": 1, \"waitFraction\": 0.1}, "
      + "{\"worker\": 1, \"state\": \"done\", \"epochs\": 0, \"samples\": 0, \"warmStartSeconds\": 3.2}], "
      + "\"evaluations\": [], \"bestAccuracy\": 0}");

  private static JsonNode parse(String json) {
    try {
      return new ObjectMapper().readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void logLinesGoAboveTheBarsAndStderrComesBack() {
    PrintStream originalErr = System.err;
    ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    PrintStream screen = new PrintStream(terminal, true, StandardCharsets.UTF_8);
    System.setErr(screen); // stderr and stdout on the same terminal
    try {
      try (ProgressView view = new ProgressView(screen, true, 10, 0.75)) {
        view.show(STATUS, 1.0);
        System.err.println("emnist-train: job x worker 0 slice 1: trained 1.00 s");
        System.err.print("half a line");
        view.show(STATUS, 2.0);
      }
      assertSame(screen, System.err, "stderr was not given back");
      String s = terminal.toString(StandardCharsets.UTF_8);
      int firstBars = s.indexOf("worker 0 ");
      int up = s.indexOf("\u001b[3F\u001b[J");
      int log = s.indexOf("emnist-train: job x");
      int secondBars = s.indexOf("worker 0 ", firstBars + 1);
      assertTrue(firstBars >= 0 && firstBars < up && up < log && log < secondBars, s);
      // The log line stands whole between the cleared bars and their redraw; the unfinished line comes at the end.
      assertEquals(-1, s.substring(firstBars, up).indexOf("emnist-train"), s);
      assertTrue(s.endsWith("half a line"), s);
      assertTrue(s.contains("done (waited 3.2 s for the warm start) (trained nothing)"), s);
      assertFalse(s.substring(firstBars).contains("[########################]"), "a worker that trained nothing "
          + "showed a full bar: " + s);
    } finally {
      System.setErr(originalErr);
    }
  }
}
