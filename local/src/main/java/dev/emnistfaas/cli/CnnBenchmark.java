package dev.emnistfaas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emnistfaas.bench.ReferenceScripts;
import dev.emnistfaas.bench.SgemmPeak;
import dev.emnistfaas.bench.StepTiming;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.local.GatewayJobClient;
import dev.emnistfaas.local.GatewaySettings;
import dev.emnistfaas.local.LocalRuntime;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.optim.OptimizerSetting;
import dev.emnistfaas.train.SingleProcessTrainer;
import dev.emnistfaas.train.TrainingConfig;
import dev.emnistfaas.train.TrainingResult;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The convolutional network's part of {@code emnist bench}: one training step against cnn_torch.py's and against
 * the machine's own sgemm peak, time to 85 % in one process against cnn_torch.py's, and Downpour with M = 1, 2, 3
 * workers through the local gateway. Every comparison is made in this one run, alternating the sides.
 */
final class CnnBenchmark {
  private static final int[] BATCHES = {32, 64, 128};
  private static final int STEP_ROUNDS = 2;
  private static final double TARGET = 0.85;

  private final ReferenceScripts scripts;
  private final String data;
  private final String network;
  private final int runs;

  CnnBenchmark(ReferenceScripts scripts, String data, String network, int runs) {
    this.scripts = scripts;
    this.data = data;
    this.network = network;
    this.runs = runs;
  }

  void run() {
    Blas.useThreads(1);
    TrainingConfig single = singleProcessConfig();
    EmnistDataset dataset = EmnistDataset.load(single.dataSource());
    Network net = single.networkFor(dataset.train().classes());
    Optional<String> python = ReferenceScripts.torchPython();
    if (python.isEmpty()) {
      System.out.println("SKIPPED (not run, not a pass): cnn_torch.py's side, which needs PyTorch "
          + "(apt-get install python3-torch); the Java figures follow alone");
    }
    double peak = SgemmPeak.flopsPerSecond(1024, 10);
    System.out.printf("%n== one training step of %s (%,d parameters, %.2f MFLOP a sample forward and backward), "
        + "one thread, shuffled EMNIST batches; Java and cnn_torch.py (Adam) alternate %d times, each keeps its best%n",
        net.name(), net.size(), net.trainingFlopsPerSample() / 1e6, STEP_ROUNDS);
    System.out.printf("this machine's sgemm peak (OpenBLAS, one thread, 1024x1024x1024): %.1f GFLOP/s%n", peak / 1e9);
    System.out.println("batch   torch samples/s   java samples/s   x torch   java GFLOP/s   of sgemm peak   heap B/step");
    OptimizerSetting momentum = single.optimizerSetting();
    for (int batch : BATCHES) {
      double torch = 0;
      double java = 0;
      double allocated = 0;
      for (int round = 0; round < STEP_ROUNDS; round++) {
        if (python.isPresent()) {
          torch = Math.max(torch, scripts.cnnTorch(python.get(), Path.of(data), net.name(), batch, 0, 20_000,
              List.of(TARGET)).stepSamplesPerSecond());
        }
        StepTiming.Result r = StepTiming.time(dataset.train(), net, batch, (float) single.dropout(), 400, momentum,
            StepTiming.Input.SHUFFLED);
        java = Math.max(java, batch / r.secondsPerStep());
        allocated = r.bytesPerStep();
      }
      double flops = java * net.trainingFlopsPerSample();
      System.out.printf("%5d   %15s   %14.0f   %7s   %12.1f   %12.1f %%   %11.0f%n", batch,
          python.isPresent() ? String.format("%.0f", torch) : "-", java,
          python.isPresent() ? String.format("%.2f", java / torch) : "-", flops / 1e9, 100 * flops / peak, allocated);
    }

    System.out.printf("%n== time to %.0f %% in one process, one thread, on %s%n", 100 * TARGET, dataset.description());
    System.out.printf("java: %s lr %.3g momentum %.2f, batch %d, dropout %.1f, evaluating every %d steps (its time "
        + "counted); cnn_torch.py: Adam 0.001, batch 64, evaluating every 20,000 samples (its time not counted)%n",
        single.optimizer(), single.learningRate(), single.momentum(), single.batch(), single.dropout(),
        single.evalEverySteps());
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    TrainingResult javaRun = new SingleProcessTrainer(single, quiet).run(dataset.train(), dataset.eval());
    System.out.printf("java   %7.1f s   %s%n", javaRun.secondsToTarget(),
        javaRun.reached() ? String.format("%,d samples", javaRun.steps() * single.batch()) : "not reached");
    if (python.isPresent()) {
      ReferenceScripts.TorchRun torch = scripts.cnnTorch(python.get(), Path.of(data), net.name(), 64, 3, 20_000,
          List.of(TARGET));
      Double seconds = torch.secondsToTarget().get(TARGET);
      System.out.printf("torch  %7s s   best %.2f %% in 3 epochs%n", seconds == null ? "not reached"
          : String.format("%.1f", seconds), 100 * torch.best());
      if (seconds != null && javaRun.reached()) {
        System.out.printf("java takes %.2fx torch's time to %.0f %%%n", javaRun.secondsToTarget() / seconds,
            100 * TARGET);
      }
    }

    System.out.printf("%n== Downpour SGD with %s through the local gateway and an embedded Redis, to %.0f %%: the "
        + "convolutional defaults (%s), M = 1, 2, 3 alternating, best of %d%n", net.name(), 100 * TARGET,
        TrainingConfig.CONVOLUTIONAL_DEFAULTS, runs);
    System.out.println("workers   time to 85 %   x M=1   samples in all   samples/s per worker   waiting on Redis");
    try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(3), Optional.empty(),
        TrainingConfig.downpourDefaults(data))) {
      GatewayJobClient client = rt.client();
      // One untimed job first: the pods load their data and the JIT compiles, which the first row would pay alone.
      client.awaitDone(client.start(body(1, 0.5)), Duration.ofMinutes(20), Duration.ofMillis(200), x -> { });
      int[] workers = {1, 2, 3};
      JsonNode[] best = new JsonNode[workers.length];
      for (int run = 0; run < runs; run++) {
        for (int i = 0; i < workers.length; i++) {
          JsonNode s = client.awaitDone(client.start(body(workers[i], TARGET)), Duration.ofMinutes(20),
              Duration.ofMillis(200), x -> { });
          if (s.path("reached").asBoolean() && (best[i] == null
              || s.path("secondsToTarget").asDouble() < best[i].path("secondsToTarget").asDouble())) {
            best[i] = s;
          }
        }
      }
      for (int i = 0; i < workers.length; i++) {
        if (best[i] == null) {
          System.out.printf("M=%d       not reached%n", workers[i]);
          continue;
        }
        long samples = 0;
        double rate = 0;
        double wait = 0;
        double compute = 0;
        for (JsonNode w : best[i].path("workers")) {
          samples += w.path("samples").asLong();
          rate += w.path("samplesPerSecond").asDouble() / workers[i];
          wait += w.path("waitSeconds").asDouble();
          compute += w.path("computeSeconds").asDouble();
        }
        double seconds = best[i].path("secondsToTarget").asDouble();
        System.out.printf("M=%d       %9.2f s   %5s   %,14d   %20.0f   %14.1f %%%n", workers[i], seconds,
            best[0] == null ? "-" : String.format("%.2f", seconds / best[0].path("secondsToTarget").asDouble()),
            samples, rate, 100 * wait / compute);
      }
    }
  }

  private String body(int workers, double target) {
    return "{\"network\": \"" + network + "\", \"workers\": " + workers + ", \"targetAccuracy\": " + target + "}";
  }

  /** The single-process settings of the comparison with cnn_torch.py: SGD with momentum, measured as below. */
  private TrainingConfig singleProcessConfig() {
    return TrainingConfig.defaults(data).with(Map.of("network", network, "batch", 64, "learningRate", 0.05,
        "evalEverySteps", 300, "targetAccuracy", TARGET, "maxEpochs", 5));
  }
}
