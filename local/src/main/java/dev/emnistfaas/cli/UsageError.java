package dev.emnistfaas.cli;

import java.util.List;

/** A mistake in what the user asked for, found before anything starts; each line names the option or file. */
final class UsageError extends RuntimeException {
  private final List<String> problems;

  UsageError(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  UsageError(String problem) {
    this(List.of(problem));
  }

  List<String> problems() {
    return problems;
  }
}
