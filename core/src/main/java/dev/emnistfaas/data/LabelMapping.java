package dev.emnistfaas.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * EMNIST's {@code emnist-<split>-mapping.txt}: each line is a label followed by the character code(s) it stands
 * for ("10 65"; the letters split merges cases and starts at 1: "1 65 97"). The network has one output per
 * label from 0 to the largest one, so a split whose labels start at 1 keeps an unused class 0.
 */
public final class LabelMapping {
  private final int[][] codes;

  private LabelMapping(int[][] codes) {
    this.codes = codes;
  }

  /** A mapping of labels 0..n-1 to the given character codes (for tests and saved models). */
  public static LabelMapping of(int... charCodes) {
    int[][] codes = new int[charCodes.length][];
    for (int i = 0; i < charCodes.length; i++) {
      codes[i] = new int[] {charCodes[i]};
    }
    return new LabelMapping(codes);
  }

  public static LabelMapping read(Path path) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path);
    } catch (NoSuchFileException e) {
      throw new EmnistFormatException(path, "file not found");
    } catch (IOException e) {
      throw new EmnistFormatException(path, "cannot read (" + e + ")", e);
    }
    int[][] codes = new int[0][];
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n).trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+");
      try {
        if (parts.length < 2) {
          throw new NumberFormatException();
        }
        int label = Integer.parseInt(parts[0]);
        if (label < 0 || label > 255) {
          throw new EmnistFormatException(path, "line " + (n + 1) + ": label " + label + " outside 0..255");
        }
        if (label >= codes.length) {
          codes = Arrays.copyOf(codes, label + 1);
        }
        if (codes[label] != null) {
          throw new EmnistFormatException(path, "line " + (n + 1) + ": label " + label + " listed twice");
        }
        codes[label] = new int[parts.length - 1];
        for (int k = 1; k < parts.length; k++) {
          codes[label][k - 1] = Integer.parseInt(parts[k]);
        }
      } catch (NumberFormatException e) {
        throw new EmnistFormatException(path, "line " + (n + 1) + " is not \"label charcode...\": " + line);
      }
    }
    if (codes.length == 0) {
      throw new EmnistFormatException(path, "no labels");
    }
    return new LabelMapping(codes);
  }

  /** Outputs of a network for this mapping: the largest label plus one. */
  public int classes() {
    return codes.length;
  }

  public boolean contains(int label) {
    return label >= 0 && label < codes.length && codes[label] != null;
  }

  /** Labels that the mapping lists. */
  public int labelCount() {
    int n = 0;
    for (int[] c : codes) {
      n += c == null ? 0 : 1;
    }
    return n;
  }

  /** The character(s) {@code label} stands for, e.g. "A" or "Aa"; "?" for a label the mapping lacks. */
  public String character(int label) {
    if (!contains(label)) {
      return "?";
    }
    StringBuilder sb = new StringBuilder();
    for (int code : codes[label]) {
      sb.appendCodePoint(code);
    }
    return sb.toString();
  }

  /** The first character code of each label (-1 where the mapping lacks the label): what a saved model keeps. */
  public int[] firstCodes() {
    int[] out = new int[codes.length];
    for (int i = 0; i < codes.length; i++) {
      out[i] = codes[i] == null ? -1 : codes[i][0];
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelMapping m && Arrays.deepEquals(codes, m.codes);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(codes);
  }
}
