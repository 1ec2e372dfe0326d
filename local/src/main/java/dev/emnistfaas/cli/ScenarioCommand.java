package dev.emnistfaas.cli;

import dev.emnistfaas.local.Scenario;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code emnist scenario}: a benchmark scenario as emnist-setup's JSON body or as faas-cli deploy flags. */
@Command(name = "scenario", mixinStandardHelpOptions = true,
    description = "Print a scenario file (tests/*.yml) as the JSON body for emnist-setup, or as faas-cli deploy flags.")
final class ScenarioCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "scenario file")
  Path file;

  @Option(names = "--deploy-flags", description = "print --label/--env flags instead of the JSON body")
  boolean deployFlags;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new UsageError("scenario file " + file + " not found (the scenarios are tests/*.yml)");
    }
    Scenario s = Scenario.read(file);
    System.out.println(deployFlags ? s.deployFlags() : s.overridesJson());
    return ExitCode.OK.code();
  }
}
