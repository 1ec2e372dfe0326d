package dev.emnistfaas.cli;

import dev.emnistfaas.bench.ReferenceScripts;
import dev.emnistfaas.bench.StepTiming;
import dev.emnistfaas.bench.StoreBenchmark;
import dev.emnistfaas.bench.StepTiming.Input;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.optim.OptimizerSetting;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.train.SingleProcessTrainer;
import dev.emnistfaas.train.TrainingConfig;
import dev.emnistfaas.train.TrainingResult;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.JsonNode;
import dev.emnistfaas.local.GatewayJobClient;
import dev.emnistfaas.local.GatewaySettings;
import dev.emnistfaas.local.LocalRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code emnist bench}: Java against the numpy references in one run, as ratios (the machines are shared and
 * noisy; absolute times mean little across runs).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Step throughput and time to the target, Java versus the numpy and PyTorch reference scripts, "
        + "in one run.")
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--reference", description = "directory of numpy_step.py and emnist_np.py (default ${DEFAULT-VALUE})")
  Path reference = Path.of("../shared/bench");

  @Option(names = "--runs", description = "training runs per side for time to target (default ${DEFAULT-VALUE})")
  int runs = 3;

  @Option(names = "--skip-seed", description = "skip the predecessor's algorithm (about 30 s)")
  boolean skipSeed;

  @Option(names = "--skip-local", description = "skip the Downpour runs through the local gateway")
  boolean skipLocal;

  @Option(names = "--push-formats-only", description = "only dense against sparse pushes (a few minutes)")
  boolean pushFormatsOnly;

  @Option(names = "--algorithms-only", description = "only Downpour against parameter averaging, the MLP and the "
      + "convolutional network at M = 1, 2, 3 (about half an hour at --runs 2)")
  boolean algorithmsOnly;

  @Option(names = "--network", description = "the convolutional network compared with cnn_torch.py "
      + "(default ${DEFAULT-VALUE})")
  String network = TrainingConfig.CNN_NETWORK;

  @Option(names = "--cnn-only", description = "only the convolutional network's comparison (about 15 minutes)")
  boolean cnnOnly;

  @Option(names = "--skip-cnn", description = "skip the convolutional network's comparison")
  boolean skipCnn;

  /** Rounds of the step comparison: slow spells on these machines last seconds, so a side needs several chances. */
  private static final int STEP_ROUNDS = 4;

  @Override
  public Integer call() {
    if (pushFormatsOnly || algorithmsOnly) {
      // Three pods and queue workers: M=3 jobs run every worker at once.
      try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(3), Optional.empty(),
          TrainingConfig.downpourDefaults(data))) {
        if (pushFormatsOnly) {
          comparePushFormats(rt.client(), rt.functions().redis());
        }
        if (algorithmsOnly) {
          compareAlgorithms(rt.client(), rt.functions().redis());
        }
      }
      return ExitCode.OK.code();
    }
    ReferenceScripts numpy = new ReferenceScripts(reference);
    Blas.useThreads(1);
    if (cnnOnly) {
      new CnnBenchmark(numpy, data, network, runs).run();
      return ExitCode.OK.code();
    }
    OptimizerSetting sgd = new OptimizerSetting(OptimizerSetting.Kind.SGD, 0.1, 0);
    TrainingConfig defaults = TrainingConfig.defaults(data);
    EmnistDataset dataset = EmnistDataset.load(defaults.dataSource());
    LabeledImages dense = StepTiming.denseRandomImages(4096, dataset.train().classes());
    System.out.println("== one training step, H=100, 47 classes, one BLAS thread, in samples/s; Java and numpy "
        + "alternate " + STEP_ROUNDS + " times and each keeps its best, so a noisy spell on this shared machine "
        + "hurts neither side alone");
    System.out.println("numpy:    numpy_step.py, one batch of random floats reused every step");
    System.out.println("dense:    java on the same kind of batch (random pixels, none blank: all 784 inputs), reused");
    System.out.println("EMNIST:   java on one batch of the training images, reused (inputs used: see the column)");
    System.out.println("training: java as the trainer runs it: a new shuffled EMNIST batch converted from bytes "
        + "every step");
    System.out.println("batch      numpy     dense  /numpy    EMNIST  inputs  /numpy  training  /numpy");
    double allocatedPerStep = 0;
    for (int batch : new int[] {32, 128}) {
      double np = 0;
      double denseRate = 0;
      double emnistRate = 0;
      double trainingRate = 0;
      int inputs = 0;
      double allocated = 0;
      for (int round = 0; round < STEP_ROUNDS; round++) {
        np = Math.max(np, numpy.stepSamplesPerSecond(batch, 100));
        StepTiming.Result denseStep = StepTiming.time(dense, batch, 100, 0f, 3000, sgd, Input.RESIDENT);
        StepTiming.Result emnist = StepTiming.time(dataset.train(), batch, 100, 0f, 3000, sgd, Input.RESIDENT);
        StepTiming.Result training = StepTiming.time(dataset.train(), batch, 100, 0f, 3000, sgd, Input.SHUFFLED);
        denseRate = Math.max(denseRate, rate(batch, denseStep));
        emnistRate = Math.max(emnistRate, rate(batch, emnist));
        trainingRate = Math.max(trainingRate, rate(batch, training));
        inputs = emnist.inputsUsed();
        allocated = Math.max(denseStep.bytesPerStep(), Math.max(emnist.bytesPerStep(), training.bytesPerStep()));
      }
      System.out.printf("%5d   %8.0f  %8.0f  %6.2f  %8.0f  %6d  %6.2f  %8.0f  %6.2f%n", batch, np, denseRate,
          denseRate / np, emnistRate, inputs, emnistRate / np, trainingRate, trainingRate / np);
      allocatedPerStep = Math.max(allocatedPerStep, allocated);
    }
    System.out.printf("heap allocated per Java step (last timed round of each row): at most %.1f bytes%n",
        allocatedPerStep);

    System.out.println("\n== time to 75 % evaluation accuracy on " + dataset.description());
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    double javaEpochEval = Double.MAX_VALUE;
    double javaFrequentEval = Double.MAX_VALUE;
    double tuned = Double.MAX_VALUE;
    for (int run = 0; run < runs; run++) {
      TrainingConfig epochEnds = defaults.with(java.util.Map.of("evalEverySteps", 0));
      javaEpochEval = Math.min(javaEpochEval, time(new SingleProcessTrainer(epochEnds, quiet)
          .run(dataset.train(), dataset.eval())));
      javaFrequentEval = Math.min(javaFrequentEval, time(new SingleProcessTrainer(defaults, quiet)
          .run(dataset.train(), dataset.eval())));
      tuned = Math.min(tuned, numpy.secondsToTarget("tuned", Path.of(data), 0.75));
    }
    System.out.printf("java, evaluating at epoch ends like the reference   %7.2f s   %.2fx the tuned numpy time%n",
        javaEpochEval, javaEpochEval / tuned);
    System.out.printf("java, default (also every %d steps)               %7.2f s   %.2fx the tuned numpy time%n",
        defaults.evalEverySteps(), javaFrequentEval, javaFrequentEval / tuned);
    System.out.printf("numpy tuned reference (best of %d)                  %7.2f s%n", runs, tuned);
    if (!skipLocal) {
      System.out.println("\n== time to 75 % with Downpour SGD through the local gateway and an embedded Redis "
          + "(P = Q = 3 pods and queue workers, round-robin; best of " + runs + ")");
      try (LocalRuntime rt = new LocalRuntime(GatewaySettings.wellConfigured(3), Optional.empty(),
          TrainingConfig.downpourDefaults(data))) {
        GatewayJobClient client = rt.client();
        System.out.println("workers  fetch/push every  communication  optimizer      time to 75 %  x tuned numpy  "
            + "compute thread waiting");
        String plainSgd = "\"optimizer\": \"sgd\", \"learningRate\": 0.2";
        for (String overrides : new String[] {
            "{\"workers\": 1, \"nFetch\": 1, \"nPush\": 1, \"backgroundCommunication\": false, " + plainSgd + "}",
            "{\"workers\": 2, \"nFetch\": 1, \"nPush\": 1, \"backgroundCommunication\": false, " + plainSgd + "}",
            "{\"workers\": 2, \"nFetch\": 1, \"nPush\": 1, \"backgroundCommunication\": true, " + plainSgd + "}",
            "{\"workers\": 1, \"nFetch\": 10, \"nPush\": 10, \"backgroundCommunication\": false, " + plainSgd + "}",
            "{\"workers\": 2, \"nFetch\": 10, \"nPush\": 10, \"backgroundCommunication\": false, " + plainSgd + "}",
            "{\"workers\": 1, \"nFetch\": 10, \"nPush\": 10, \"backgroundCommunication\": true, " + plainSgd + "}",
            "{\"workers\": 2, \"nFetch\": 10, \"nPush\": 10, \"backgroundCommunication\": true, " + plainSgd + "}",
            "{\"workers\": 1}", "{\"workers\": 2}", "{\"workers\": 3}"}) {
          double best = Double.MAX_VALUE;
          double wait = 0;
          for (int run = 0; run < runs; run++) {
            JsonNode s = client.awaitDone(client.start(overrides), Duration.ofMinutes(10), Duration.ofMillis(100),
                x -> { });
            if (s.path("reached").asBoolean()) {
              best = Math.min(best, s.path("secondsToTarget").asDouble());
            }
            double waitSeconds = 0;
            double computeSeconds = 0;
            for (JsonNode w : s.path("workers")) {
              waitSeconds += w.path("waitSeconds").asDouble();
              computeSeconds += w.path("computeSeconds").asDouble();
            }
            wait += waitSeconds / computeSeconds / runs;
          }
          TrainingConfig c = TrainingConfig.downpourDefaults(data).withJson(overrides);
          System.out.printf("M=%d     %2d steps          %-10s     %-8s %4.2f  %7.2f s     %6.2fx        %5.1f %%%n",
              c.workers(), c.nFetch(), c.backgroundCommunication() ? "background" : "inline", c.optimizer(),
              c.learningRate(), best, best / tuned, 100 * wait);
        }
        comparePushFormats(client, rt.functions().redis());
        compareAlgorithms(client, rt.functions().redis());
      }
    }
    if (!skipSeed) {
      double seed = numpy.secondsToTarget("seed", Path.of(data), 0.75);
      System.out.printf("numpy seed reference (the predecessor's algorithm) %7.2f s   java default is %.1fx faster%n",
          seed, seed / javaFrequentEval);
    }
    if (!skipCnn) {
      new CnnBenchmark(numpy, data, network, runs).run();
    }
    return ExitCode.OK.code();
  }

  /** Epochs of the runs that measure the plateau (no target: the best evaluation over this many epochs). */
  private static final int PLATEAU_EPOCHS = 4;
  /** The convolutional network's plateau runs: an epoch takes it about half a minute here. */
  private static final int CNN_PLATEAU_EPOCHS = 1;

  /**
   * Dense against sparse pushes on the Downpour defaults, each job alone on the embedded Redis (see {@link #compare}).
   */
  private void comparePushFormats(GatewayJobClient client, RedisConnection redis) {
    System.out.println("\n== dense against sparse pushes: Downpour defaults (Adagrad 0.05, push every 10 steps, "
        + "evaluate every 0.1 s) through the local gateway; time to 75 %: best of " + runs + "; plateau: best accuracy "
        + "in " + PLATEAU_EPOCHS + " epochs, mean of " + runs + "; bytes: Redis's network traffic in and out over the "
        + "timed runs");
    // Evaluations every 0.1 s rather than 0.5: the times to 75 % are about a second.
    compare(client, redis, "\"evalEverySeconds\": 0.1", PLATEAU_EPOCHS, List.of(
        new Contender("dense", "\"pushEncoding\": \"dense\""),
        new Contender("sparse 1.0 %, fetch/10", "\"pushEncoding\": \"sparse\", \"pushDensity\": 0.01"),
        new Contender("sparse 1.0 %, fetch/40", "\"pushEncoding\": \"sparse\", \"pushDensity\": 0.01, \"nFetch\": 40")));
  }

  /**
   * Downpour against parameter averaging at M = 1, 2, 3, each job alone on the embedded Redis (see {@link #compare}):
   * the MLP to 75 % on the Downpour defaults, and the convolutional network to 85 % on its defaults; averaging keeps
   * each job's optimiser and rate (Adagrad 0.05 on the store) and closes a round every 10 local steps.
   */
  private void compareAlgorithms(GatewayJobClient client, RedisConnection redis) {
    List<Contender> algorithms = List.of(new Contender("downpour", "\"algorithm\": \"downpour\""),
        new Contender("average, 10 local steps", "\"algorithm\": \"average\", \"localSteps\": 10"));
    System.out.println("\n== Downpour against parameter averaging, the MLP to 75 % (Downpour defaults: Adagrad 0.05, push "
        + "every 10 steps; evaluate every 0.1 s) through the local gateway; time to 75 %: best of " + runs
        + "; plateau: best accuracy in " + PLATEAU_EPOCHS + " epochs, mean of " + runs + "; bytes: Redis's network "
        + "traffic in and out over the timed runs; a send is a push or a contribution");
    compare(client, redis, "\"evalEverySeconds\": 0.1", PLATEAU_EPOCHS, algorithms);
    System.out.println("\n== the same for " + network + " to 85 % (its defaults: batch 64, evaluate every 5 s); "
        + "plateau: best accuracy in " + CNN_PLATEAU_EPOCHS + " epoch(s)");
    compare(client, redis, "\"network\": \"" + network + "\"", CNN_PLATEAU_EPOCHS, algorithms);
  }

  /** One side of a comparison: its name in the table and the config fields it sets. */
  private record Contender(String label, String overrides) {}

  /**
   * Each contender at M = 1, 2, 3, each job alone on the embedded Redis: time to its target (best of {@link #runs}),
   * the plateau (best accuracy in {@code plateauEpochs} epochs without a target, the mean of {@link #runs}), and the
   * bytes Redis sent and received over the timed runs (INFO stats: every byte on its sockets), per send (push or
   * contribution) and per second a worker computed; each as a ratio to the first contender.
   */
  private void compare(GatewayJobClient client, RedisConnection redis, String common, int plateauEpochs,
      List<Contender> contenders) {
    System.out.println("workers  contender                time to target  x first  plateau  - first   bytes/send  "
        + "x first  bytes per worker-second");
    // One untimed job of each first: the pods load their data and the JIT compiles every path, which the first timed
    // row would otherwise pay alone (it made dense M=1 look 1.3-1.7x slower than sparse).
    for (Contender c : contenders) {
      DownpourRun.of(client, redis, "{" + common + ", " + c.overrides() + "}");
    }
    for (int workers : new int[] {1, 2, 3}) {
      DownpourRun first = null;
      for (Contender c : contenders) {
        String overrides = common + ", " + c.overrides() + ", \"workers\": " + workers;
        double best = Double.MAX_VALUE;
        long bytes = 0;
        long pushes = 0;
        double workerSeconds = 0;
        for (int run = 0; run < runs; run++) {
          DownpourRun r = DownpourRun.of(client, redis, "{" + overrides + "}");
          best = Math.min(best, r.secondsToTarget());
          bytes += r.wireBytes();
          pushes += r.pushes();
          workerSeconds += r.workerSeconds();
        }
        double plateau = 0;
        for (int run = 0; run < runs; run++) {
          plateau += DownpourRun.of(client, redis, "{" + overrides + ", \"targetAccuracy\": 0, \"maxEpochs\": "
              + plateauEpochs + "}").bestAccuracy() / runs;
        }
        DownpourRun row = new DownpourRun(best, plateau, pushes, workerSeconds, bytes);
        first = first == null ? row : first;
        System.out.printf("M=%d      %-24s %7.2f s    %5.2f   %5.2f %%  %+5.2f   %10.0f   %5.2f   %,12.0f%n", workers,
            c.label(), best, best / first.secondsToTarget(), 100 * plateau, 100 * (plateau - first.bestAccuracy()),
            row.bytesPerPush(), row.bytesPerPush() / first.bytesPerPush(), row.bytesPerWorkerSecond());
      }
    }
  }

  /** One Downpour job's outcome and traffic; {@code secondsToTarget} is infinite when it missed the target. */
  private record DownpourRun(double secondsToTarget, double bestAccuracy, long pushes, double workerSeconds,
      long wireBytes) {
    static DownpourRun of(GatewayJobClient client, RedisConnection redis, String overrides) {
      long before = StoreBenchmark.wireBytes(redis);
      JsonNode s = client.awaitDone(client.start(overrides), Duration.ofMinutes(10), Duration.ofMillis(100), x -> { });
      long bytes = StoreBenchmark.wireBytes(redis) - before;
      long pushes = 0;
      double workerSeconds = 0;
      for (JsonNode w : s.path("workers")) {
        pushes += w.path("pushes").asLong();
        workerSeconds += w.path("computeSeconds").asDouble();
      }
      return new DownpourRun(s.path("reached").asBoolean() ? s.path("secondsToTarget").asDouble()
          : Double.POSITIVE_INFINITY, s.path("bestAccuracy").asDouble(), pushes, workerSeconds, bytes);
    }

    double bytesPerPush() {
      return (double) wireBytes / pushes;
    }

    double bytesPerWorkerSecond() {
      return wireBytes / workerSeconds;
    }
  }

  private static double rate(int batch, StepTiming.Result result) {
    return batch / result.secondsPerStep();
  }

  private static double time(TrainingResult r) {
    if (!r.reached()) {
      throw new IllegalStateException("java run did not reach 75 % (best " + r.best() + ")");
    }
    return r.secondsToTarget();
  }


}
