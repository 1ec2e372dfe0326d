package dev.emnistfaas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emnistfaas.local.GatewayJobClient;
import dev.emnistfaas.local.LocalApiToken;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code emnist status}: a job's status from emnist-setup on a gateway. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Print a job's status (JSON) from emnist-setup on a gateway.")
final class StatusCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "job id")
  String job;

  @Option(names = "--gateway", description = "gateway URL (default: $OPENFAAS_URL, else http://127.0.0.1:8080)")
  URI gateway = URI.create(System.getenv().getOrDefault("OPENFAAS_URL", "http://127.0.0.1:8080"));

  @Override
  public Integer call() throws Exception {
    // An unknown job (404) is the user's mistake (exit 2), an unreachable gateway a runtime failure (exit 3).
    JsonNode s = new GatewayJobClient(gateway, LocalApiToken.get(System.getenv())).status(job);
    System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(s));
    return ExitCode.OK.code();
  }
}
