package dev.emnistfaas.cli;

import dev.emnistfaas.local.BenchmarkReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code emnist report}: the benchmark suite's results.md and scenarios.png. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Summarise benchmark rounds (ROOT/<scenario>/round-<n>/) into results.md and scenarios.png.")
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "directory of the scenarios' rounds")
  Path root;

  @Option(names = "--output", description = "where to write results.md and scenarios.png (default: ROOT)")
  Path output;

  @Override
  public Integer call() throws Exception {
    System.out.print(BenchmarkReport.write(root, output == null ? root : output));
    return 0;
  }
}
