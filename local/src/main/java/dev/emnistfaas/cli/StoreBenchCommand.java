package dev.emnistfaas.cli;

import dev.emnistfaas.bench.StoreBenchmark;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.RedisSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.emnistfaas.train.TrainingConfig;

/** {@code emnist store-bench}: the parameter store against raw Redis SET/GET in one run. */
@Command(name = "store-bench", mixinStandardHelpOptions = true,
    description = "Parameter-store fetch/push latency and throughput versus raw SET/GET, on $REDIS_URL or an "
        + "embedded Redis.")
final class StoreBenchCommand implements Callable<Integer> {
  @Option(names = "--size", description = "floats in the vector (default ${DEFAULT-VALUE}: the 784-100-47 model)")
  int size = 83_247;

  @Option(names = "--shards", description = "shards (default ${DEFAULT-VALUE})")
  int shards = 1;

  @Option(names = "--iterations", description = "timed operations per measurement (default ${DEFAULT-VALUE})")
  int iterations = 500;

  @Option(names = "--state-pushes", description = "pushes before the job's keys and Redis's memory are counted "
      + "(default ${DEFAULT-VALUE}; 0 skips it)")
  int statePushes = 10_000;

  @Option(names = "--density", description = "share of the entries a sparse push sends (default ${DEFAULT-VALUE})")
  double density = TrainingConfig.DEFAULT_PUSH_DENSITY;

  @Override
  public Integer call() {
    RedisSettings settings = RedisSettings.fromEnvironment();
    EmbeddedRedis embedded = settings.url().isEmpty() ? EmbeddedRedis.start() : null;
    try (RedisConnection redis = RedisConnection.open(
        embedded == null ? settings : RedisSettings.local(embedded.url()), RedisConnection.Backoff.DEFAULT)) {
      StoreBenchmark bench = new StoreBenchmark(redis, System.out, size, shards);
      bench.run(iterations);
      bench.pushFormats(iterations, density);
      if (statePushes > 0) {
        bench.stateAfter(statePushes, 8);
      }
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
    return ExitCode.OK.code();
  }
}
