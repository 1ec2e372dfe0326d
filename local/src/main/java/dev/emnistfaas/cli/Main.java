package dev.emnistfaas.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code emnist} command. */
@Command(
    name = "emnist",
    mixinStandardHelpOptions = true,
    description = "Distributed Downpour SGD on EMNIST over OpenFaaS and Redis.",
    subcommands = {TrainCommand.class, TrainSingleCommand.class, EvalCommand.class, StatusCommand.class,
        ServeCommand.class,
        DataCommand.class, BenchCommand.class, StoreBenchCommand.class, ScenarioCommand.class, ReportCommand.class})
public final class Main {
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command and returns its exit code (tests call this in-process). */
  public static int run(String[] args) {
    return new CommandLine(new Main()).execute(args);
  }
}
