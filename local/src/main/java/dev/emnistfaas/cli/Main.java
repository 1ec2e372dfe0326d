package dev.emnistfaas.cli;

import dev.emnistfaas.data.EmnistFormatException;
import dev.emnistfaas.local.GatewayJobClient;
import dev.emnistfaas.train.TrainingConfig;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code emnist} command. Every subcommand exits with one of {@link ExitCode}'s codes; a mistake is reported
 * as {@code error: …} lines naming the option, field or file, without a stack trace unless {@code --debug}.
 */
@Command(
    name = "emnist",
    mixinStandardHelpOptions = true,
    versionProvider = VersionInfo.class,
    description = "Distributed Downpour SGD on EMNIST over OpenFaaS and Redis.",
    exitCodeListHeading = "%nExit codes (every subcommand):%n",
    exitCodeList = {"0:done (train: the target was reached)", "1:train: the target was not reached",
        "2:a usage, config, data or model file error; nothing was started",
        "3:a runtime failure (Redis or the gateway unreachable, an internal error)",
        "130:interrupted by Ctrl-C (train still writes its results)"},
    subcommands = {TrainCommand.class, TrainSingleCommand.class, EvalCommand.class, StatusCommand.class,
        ServeCommand.class,
        DataCommand.class, BenchCommand.class, StoreBenchCommand.class, ScaleCommand.class, ScenarioCommand.class,
        ReportCommand.class})
public final class Main {
  @Option(names = "--debug", scope = ScopeType.INHERIT, description = "show the stack trace of an error")
  boolean debug;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command and returns its exit code (tests call this in-process). */
  public static int run(String[] args) {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(Main::usageError)
        .setExecutionExceptionHandler(Main::failure)
        .execute(args);
  }

  private static int usageError(ParameterException e, String[] args) {
    PrintStream err = System.err;
    // picocli says "Value for option option '--set' …" of a map option's bad entry.
    err.println("error: " + e.getMessage().replace("option option '", "option '"));
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("see: " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help");
    return ExitCode.USAGE.code();
  }

  private static int failure(Exception e, CommandLine command, ParseResult parsed) {
    PrintStream err = System.err;
    ExitCode code = classify(e);
    for (String line : problems(e)) {
      err.println("error: " + line);
    }
    if (debugRequested(parsed)) {
      e.printStackTrace(err);
    } else if (code == ExitCode.RUNTIME) {
      err.println("(--debug shows the stack trace)");
    }
    return code.code();
  }

  private static ExitCode classify(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UsageError || t instanceof TrainingConfig.InvalidConfig || t instanceof EmnistFormatException
          || (t instanceof GatewayJobClient.Refused r && r.status() < 500)) {
        return ExitCode.USAGE;
      }
    }
    return ExitCode.RUNTIME;
  }

  /** The lines to show: each problem of a config or usage error, else the first message in the cause chain. */
  private static List<String> problems(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UsageError u) {
        return u.problems();
      }
      if (t instanceof TrainingConfig.InvalidConfig c) {
        return c.problems();
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
        // Jackson's own message names its parser's internals ("[Source: REDACTED …]"): its words and where.
        var at = j.getLocation();
        return List.of("not JSON: " + j.getOriginalMessage().strip().replaceAll("\\s*\\n\\s*", " ")
            + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
      }
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return List.of(t.getMessage().strip().replaceAll("\\s*\\n\\s*", " "));
      }
    }
    return List.of(e.getClass().getName());
  }

  private static boolean debugRequested(ParseResult parsed) {
    if (parsed.hasMatchedOption("--debug")) {
      return true;
    }
    return parsed.subcommands().stream().anyMatch(Main::debugRequested);
  }
}
