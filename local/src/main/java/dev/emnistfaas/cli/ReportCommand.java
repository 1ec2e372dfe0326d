package dev.emnistfaas.cli;

import dev.emnistfaas.local.BenchmarkReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code emnist report}: the benchmark suite's results.md and scenarios.png. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Summarise benchmark rounds (ROOT/<scenario>/round-<n>/) into results.md and scenarios.png.")
final class ReportCommand implements Callable<Integer> {
  /** Where test.sh puts its runs, one folder each, named by the time they started. */
  static final Path RUNS = Path.of("tests", "results");

  @Parameters(index = "0", arity = "0..1", paramLabel = "ROOT",
      description = "a run's folder (default: the latest run of ./test.sh in tests/results)")
  Path root;

  @Option(names = "--output", description = "where to write results.md and scenarios.png (default: ROOT)")
  Path output;

  @Override
  public Integer call() throws IOException {
    Path run = root != null ? root : latestRun();
    if (!Files.isDirectory(run)) {
      throw new UsageError("ROOT: " + run + " is not a folder (a run of ./test.sh, e.g. tests/results/<run>)");
    }
    System.out.print(BenchmarkReport.write(run, output == null ? run : output));
    return ExitCode.OK.code();
  }

  private static Path latestRun() throws IOException {
    if (!Files.isDirectory(RUNS)) {
      throw new UsageError("no benchmark runs in " + RUNS + " here: run ./test.sh first, or name a run's folder");
    }
    try (Stream<Path> runs = Files.list(RUNS)) {
      return runs.filter(Files::isDirectory).max(Comparator.comparing(p -> p.getFileName().toString()))
          .orElseThrow(() -> new UsageError("no benchmark runs in " + RUNS + ": run ./test.sh first"));
    }
  }
}
