package dev.emnistfaas.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code emnist} command. */
@Command(
    name = "emnist",
    mixinStandardHelpOptions = true,
    description = "Distributed Downpour SGD on EMNIST over OpenFaaS and Redis.",
    subcommands = {TrainSingleCommand.class, ServeCommand.class, BenchCommand.class, StoreBenchCommand.class})
public final class Main {
  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
