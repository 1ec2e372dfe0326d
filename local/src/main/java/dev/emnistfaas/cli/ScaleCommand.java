package dev.emnistfaas.cli;

import dev.emnistfaas.bench.ScalingModel;
import dev.emnistfaas.bench.ScalingModel.Link;
import dev.emnistfaas.bench.ScalingModel.Prediction;
import dev.emnistfaas.bench.StepTiming;
import dev.emnistfaas.bench.StoreBenchmark;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.nn.Network;
import dev.emnistfaas.optim.OptimizerSetting;
import dev.emnistfaas.ps.EmbeddedRedis;
import dev.emnistfaas.ps.PushFormat;
import dev.emnistfaas.ps.RedisConnection;
import dev.emnistfaas.ps.RedisSettings;
import dev.emnistfaas.ps.RoundUpdate;
import dev.emnistfaas.ps.UpdateRule;
import dev.emnistfaas.train.Algorithm;
import dev.emnistfaas.train.AveragingSimulation;
import dev.emnistfaas.train.StalenessSimulation;
import dev.emnistfaas.train.StalenessSimulation.Result;
import dev.emnistfaas.train.StalenessSimulation.Setup;
import dev.emnistfaas.train.TrainingConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code emnist scale}: what more workers do to Downpour and to parameter averaging, measured where this machine cannot run them (the
 * simulation), and what that means on a cluster (the scaling model, calibrated in the same run).
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "Downpour and parameter averaging at M = 1..64 workers. First their statistical efficiency: M "
        + "logical workers in one process (Downpour's interleaved, each step on parameters as stale as equally fast "
        + "workers leave them; averaging's in synchronous rounds of local steps), per optimiser: does the job reach "
        + "the target, after how many samples in all. Then a scaling model calibrated here (a step, "
        + "Redis CPU per push, bytes per push): samples/s and time to target for M workers on S Redis masters "
        + "behind 1, 10 and 25 GbE links, and where the wall is.")
final class ScaleCommand implements Callable<Integer> {
  @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--workers", split = ",", description = "worker counts (default ${DEFAULT-VALUE})")
  List<Integer> workers = List.of(1, 2, 4, 8, 16, 32, 64);

  @Option(names = "--epochs", description = "give up after this many passes over the training part in all "
      + "(default ${DEFAULT-VALUE})")
  int epochs = 5;

  @Option(names = "--target", description = "accuracy to reach (default ${DEFAULT-VALUE})")
  double target = 0.75;

  @Option(names = "--n-fetch", description = "fetch every N steps (default: the Downpour default)")
  Integer nFetch;

  @Option(names = "--n-push", description = "push every N steps (default: the Downpour default)")
  Integer nPush;

  @Option(names = "--network", description = "the network simulated and timed: mlp (default) or layers such as "
      + "c16k3-p2-c32k3-p2-f128 (its measured defaults apply; pass --target 0.85 for the CNN's target)")
  String network = "mlp";

  @Option(names = "--no-model", description = "the simulation only")
  boolean noModel;

  @Option(names = "--plot", description = "write the model's predicted time to target against M to this PNG")
  Path plot;

  /** The optimisers compared: the store's rule and rate, and whether one worker trains alone first. */
  enum Variant {
    SGD_02("sgd 0.2", UpdateRule.Kind.SGD, 0.2f, false),
    SGD_005("sgd 0.05", UpdateRule.Kind.SGD, 0.05f, false),
    ADAGRAD_005("adagrad 0.05", UpdateRule.Kind.ADAGRAD, 0.05f, false),
    ADAGRAD_005_WARM("adagrad 0.05, warm start", UpdateRule.Kind.ADAGRAD, 0.05f, true);

    final String label;
    final UpdateRule rule;
    final boolean warmStart;

    Variant(String label, UpdateRule.Kind kind, float lr, boolean warmStart) {
      this.label = label;
      this.rule = new UpdateRule(kind, lr);
      this.warmStart = warmStart;
    }

    /** Dean et al.'s warm start, as the Downpour defaults have it, or none. */
    long warmStartSamples() {
      return warmStart ? TrainingConfig.DOWNPOUR_WARM_START_SAMPLES : 0;
    }
  }

  @Option(names = "--variants", split = ",", description = "Downpour's optimisers: ${COMPLETION-CANDIDATES} "
      + "(default: all)")
  List<Variant> variants = List.of(Variant.values());

  /** Parameter averaging's local rates: the workers' SGD steps, and the store's rule on the round's mean. */
  enum AveragingVariant {
    MEAN_SGD_02(UpdateRule.Kind.SGD, 0.2f, RoundUpdate.MEAN),
    MEAN_SGD_005(UpdateRule.Kind.SGD, 0.05f, RoundUpdate.MEAN),
    MEAN_ADAGRAD_005(UpdateRule.Kind.ADAGRAD, 0.05f, RoundUpdate.MEAN),
    SQRT_SGD_02(UpdateRule.Kind.SGD, 0.2f, RoundUpdate.SQRT),
    SQRT_SGD_005(UpdateRule.Kind.SGD, 0.05f, RoundUpdate.SQRT),
    SUM_SGD_005(UpdateRule.Kind.SGD, 0.05f, RoundUpdate.SUM);

    final String label;
    final UpdateRule rule;
    final RoundUpdate update;

    /** The workers' local SGD runs at {@code lr}; the round's {@code update} goes through {@code kind} at it too. */
    AveragingVariant(UpdateRule.Kind kind, float lr, RoundUpdate update) {
      this.label = "average (" + update.configName() + "), " + kind.name().toLowerCase(java.util.Locale.ROOT) + " "
          + lr;
      this.rule = new UpdateRule(kind, lr);
      this.update = update;
    }
  }

  @Option(names = "--algorithms", split = ",", description = "downpour, average or both (default: both)")
  List<Algorithm> algorithms = List.of(Algorithm.values());

  @Option(names = "--averaging", split = ",", description = "parameter averaging's rates: ${COMPLETION-CANDIDATES} "
      + "(default: all)")
  List<AveragingVariant> averaging = List.of(AveragingVariant.values());

  @Option(names = "--local-steps", split = ",", description = "parameter averaging: local steps per round "
      + "(default ${DEFAULT-VALUE})")
  List<Integer> localSteps = List.of(10, 50, 200);

  private static final long EVAL_EVERY_SAMPLES = 5_000;
  private static final int[] SHARDS = {1, 2, 4, 8};

  @Override
  public Integer call() throws IOException {
    if (DataHelp.reportIfMissing(data)) {
      return ExitCode.USAGE.code();
    }
    for (int m : workers) {
      if (m < 1 || m > 1024) {
        throw new UsageError("--workers: each must be in 1..1024, got " + m);
      }
    }
    for (int tau : localSteps) {
      if (tau < 1 || tau > 1_000_000) {
        throw new UsageError("--local-steps: each must be in 1..1000000, got " + tau);
      }
    }
    TrainingConfig base = TrainingConfig.downpourDefaults(data);
    TrainingConfig d = base.with(Map.of("network", network, "nFetch", nFetch == null ? base.nFetch() : nFetch,
        "nPush", nPush == null ? base.nPush() : nPush));
    if (!d.problems().isEmpty()) {
      throw new UsageError("--" + String.join("; --", d.problems()));
    }
    EmnistDataset dataset = EmnistDataset.load(d.dataSource());
    System.out.println(dataset.description());
    Map<Variant, Map<Integer, Result>> results = algorithms.contains(Algorithm.DOWNPOUR) ? simulate(d, dataset)
        : Map.of();
    Map<AveragingSeries, Map<Integer, AveragingSimulation.Result>> averaged = algorithms.contains(Algorithm.AVERAGE)
        ? simulateAveraging(d, dataset) : Map.of();
    if (!noModel) {
      model(d, dataset, results, averaged);
    }
    return ExitCode.OK.code();
  }

  private Map<Variant, Map<Integer, Result>> simulate(TrainingConfig d, EmnistDataset dataset) {
    StalenessSimulation sim = new StalenessSimulation(dataset.train(), dataset.eval(),
        d.networkFor(dataset.train().classes()));
    long maxSamples = (long) epochs * dataset.train().size();
    System.out.printf("== Downpour with M logical workers, batch %d, fetch/push every %d/%d steps, dropout %.1f; "
        + "samples in all to %.0f %% (evaluated every %,d samples), giving up after %d epochs (%,d samples)%n",
        d.batch(), d.nFetch(), d.nPush(), d.dropout(), 100 * target, EVAL_EVERY_SAMPLES, epochs, maxSamples);
    System.out.printf("%-26s %4s %18s %7s %9s %10s %8s%n", "optimiser", "M", "samples to target", "x M=1",
        "best acc", "staleness", "seconds");
    Map<Variant, Map<Integer, Result>> results = new EnumMap<>(Variant.class);
    for (Variant v : variants) {
      Map<Integer, Result> byWorkers = new LinkedHashMap<>();
      results.put(v, byWorkers);
      for (int m : workers) {
        Result r = sim.run(new Setup(m, v.rule, d.batch(), d.nFetch(), d.nPush(), (float) d.dropout(), d.seed(),
            v.warmStartSamples(), target, maxSamples, EVAL_EVERY_SAMPLES));
        byWorkers.put(m, r);
        Result single = byWorkers.get(1);
        System.out.printf("%-26s %4d %18s %7s %8.2f %% %10.1f %8.1f%n", v.label, m,
            r.reached() ? String.format("%,d", r.samplesToTarget()) : "not reached",
            r.reached() && single != null && single.reached()
                ? String.format("%.2f", (double) r.samplesToTarget() / single.samplesToTarget()) : "",
            100 * r.bestAccuracy(), r.meanStaleness(), r.seconds());
      }
    }
    return results;
  }

  /** One row of parameter averaging: its rate and its local steps per round. */
  private record AveragingSeries(AveragingVariant variant, int localSteps) {
    String label() {
      return variant.label + ", " + localSteps + " local steps";
    }
  }

  /** Parameter averaging at each rate and number of local steps: samples in all to the target. */
  private Map<AveragingSeries, Map<Integer, AveragingSimulation.Result>> simulateAveraging(TrainingConfig d,
      EmnistDataset dataset) {
    AveragingSimulation sim = new AveragingSimulation(dataset.train(), dataset.eval(),
        d.networkFor(dataset.train().classes()));
    long maxSamples = (long) epochs * dataset.train().size();
    System.out.printf("== parameter averaging with M logical workers, batch %d, dropout %.1f; each round every worker "
        + "trains its local steps from the global parameters, then what they learned is applied (their mean, "
        + "unless the row says otherwise); samples "
        + "in all to %.0f %% (evaluated at the first round's end after every %,d samples), giving up after %d epochs "
        + "(%,d samples)%n", d.batch(), d.dropout(), 100 * target, EVAL_EVERY_SAMPLES, epochs, maxSamples);
    System.out.printf("%-40s %4s %18s %7s %9s %8s %8s%n", "rates, local steps", "M", "samples to target", "x M=1",
        "best acc", "rounds", "seconds");
    Map<AveragingSeries, Map<Integer, AveragingSimulation.Result>> results = new LinkedHashMap<>();
    for (AveragingVariant v : averaging) {
      for (int tau : localSteps) {
        AveragingSeries series = new AveragingSeries(v, tau);
        Map<Integer, AveragingSimulation.Result> byWorkers = new LinkedHashMap<>();
        results.put(series, byWorkers);
        for (int m : workers) {
          AveragingSimulation.Result r = sim.run(new AveragingSimulation.Setup(m, v.rule, v.update, d.batch(), tau,
              (float) d.dropout(), d.seed(), target, maxSamples, EVAL_EVERY_SAMPLES));
          byWorkers.put(m, r);
          AveragingSimulation.Result single = byWorkers.get(1);
          System.out.printf("%-40s %4d %18s %7s %8.2f %% %8d %8.1f%n", series.label(), m,
              r.reached() ? String.format("%,d", r.samplesToTarget()) : "not reached",
              r.reached() && single != null && single.reached()
                  ? String.format("%.2f", (double) r.samplesToTarget() / single.samplesToTarget()) : "",
              100 * r.bestAccuracy(), r.rounds(), r.seconds());
        }
      }
    }
    return results;
  }

  private void model(TrainingConfig d, EmnistDataset dataset, Map<Variant, Map<Integer, Result>> results,
      Map<AveragingSeries, Map<Integer, AveragingSimulation.Result>> averaged) throws IOException {
    Blas.useThreads(1);
    Network network = d.networkFor(dataset.train().classes());
    double step = StepTiming.time(dataset.train(), network, d.batch(), (float) d.dropout(), 500,
        new OptimizerSetting(OptimizerSetting.Kind.SGD, d.learningRate(), 0), StepTiming.Input.SHUFFLED)
        .secondsPerStep();
    int size = network.size();
    UpdateRule adagrad = new UpdateRule(UpdateRule.Kind.ADAGRAD, (float) d.learningRate());
    int pushesPerFetch = Math.max(1, d.nFetch() / d.nPush());
    Map<String, ScalingModel> models = new LinkedHashMap<>();
    Map<AveragingSeries, ScalingModel> averagingModels = new LinkedHashMap<>();
    RedisSettings settings = RedisSettings.fromEnvironment();
    EmbeddedRedis embedded = settings.url().isEmpty() ? EmbeddedRedis.start() : null;
    try (RedisConnection redis = RedisConnection.open(
        embedded == null ? settings : RedisSettings.local(embedded.url()), RedisConnection.Backoff.DEFAULT)) {
      StoreBenchmark bench = new StoreBenchmark(redis, new PrintStream(OutputStream.nullOutputStream()), size, 1);
      if (!averaged.isEmpty()) {
        // A worker's round: its contribution, its fetch, and a share of the close; the share is taken at M = 2
        // (a half): at more workers it is smaller, and Adagrad's close the dearest.
        StoreBenchmark.PushCost cost1 = bench.costPerContribution(1, adagrad, 400, 2);
        StoreBenchmark.PushCost cost4 = bench.costPerContribution(4, adagrad, 400, 2);
        System.out.printf("== scaling model, parameter averaging, calibrated in this run: a worker's round (its "
            + "contribution, its fetch, half a close with Adagrad) costs Redis %.0f us of CPU on 1 shard, %.0f us on 4, "
            + "the worker's thread %.0f us, %.3f MB through the masters' links%n", cost1.redisSeconds() * 1e6,
            cost4.redisSeconds() * 1e6, cost1.clientSeconds() * 1e6, cost1.wireBytes() / 1e6);
        for (AveragingSeries a : averaged.keySet()) {
          averagingModels.put(a, ScalingModel.calibratedSynchronous(step, cost1.clientSeconds(), d.batch(), a.localSteps(),
              cost1.redisSeconds(), cost4.redisSeconds(), 4, cost1.wireBytes()));
        }
      }
      for (PushFormat format : List.of(PushFormat.DENSE, PushFormat.sparse(d.pushDensity()))) {
        StoreBenchmark.PushCost cost1 = bench.costPerPush(1, adagrad, format, 400, pushesPerFetch);
        StoreBenchmark.PushCost cost4 = bench.costPerPush(4, adagrad, format, 400, pushesPerFetch);
        ScalingModel model = ScalingModel.calibrated(step, cost1.clientSeconds(), d.batch(), d.nPush(),
            cost1.redisSeconds(), cost4.redisSeconds(), 4, cost1.wireBytes());
        String label = format.isSparse() ? String.format("sparse pushes (%.1f %%)", 100 * format.density())
            : "dense pushes";
        models.put(label, model);
        System.out.printf("== scaling model, %s, calibrated in this run: a worker trains %,.0f samples/s (a step of "
            + "%d in %.3f ms on one core, its pushes on a second); Redis CPU per Adagrad push %.0f us on 1 shard, "
            + "%.0f us on 4 (so %.0f us a shard + %.0f us for the bytes); the pushing thread's CPU %.0f us a push "
            + "(on the worker's second core, beside its steps); %.3f MB through the masters' links per push (Redis's "
            + "bytes in and out, a fetch every %d pushes included); push every %d steps%n", label,
            model.workerSamplesPerSecond(), d.batch(), step * 1e3, cost1.redisSeconds() * 1e6,
            cost4.redisSeconds() * 1e6, model.redisOverheadSeconds() * 1e6, model.redisBytesSeconds() * 1e6,
            cost1.clientSeconds() * 1e6, cost1.wireBytes() / 1e6, pushesPerFetch, d.nPush());
        System.out.println("the wall: workers beyond which more add no samples/s (masters' CPU or links bound)");
        System.out.printf("%-8s", "");
        for (int s : SHARDS) {
          System.out.printf(" %12s", "S=" + s);
        }
        System.out.println();
        for (Link link : Link.values()) {
          System.out.printf("%-8s", link.label);
          for (int s : SHARDS) {
            System.out.printf(" %6.1f (%s)", model.wall(s, link),
                model.masterBound(s, link) == ScalingModel.Bound.NETWORK ? "net" : "cpu");
          }
          System.out.println();
        }
      }
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
    List<XYSeriesData> series = new ArrayList<>();
    for (var m : models.entrySet()) {
      boolean dense = m.getKey().equals("dense pushes");
      for (var e : results.entrySet()) {
        Variant v = e.getKey();
        // Sparse pushes are modelled for the Downpour defaults only: their costs are Adagrad's, and the samples
        // to target are the dense simulation's (in emnist bench, sparse pushes reached 75 % as fast at M = 1-3).
        if (e.getValue().values().stream().noneMatch(Result::reached) || (!dense && v != Variant.ADAGRAD_005_WARM)) {
          continue;
        }
        Map<Integer, Long> samples = new LinkedHashMap<>();
        e.getValue().forEach((workerCount, r) -> samples.put(workerCount, r.samplesToTarget()));
        String name = v.label + (dense ? "" : ", sparse");
        predictions(v.label + ", " + m.getKey(), name, samples, m.getValue(), v.warmStartSamples(), new int[] {1, 4},
            series);
      }
    }
    for (var e : averaged.entrySet()) {
      if (e.getValue().values().stream().noneMatch(AveragingSimulation.Result::reached)) {
        continue;
      }
      Map<Integer, Long> samples = new LinkedHashMap<>();
      e.getValue().forEach((workerCount, r) -> samples.put(workerCount, r.samplesToTarget()));
      predictions(e.getKey().label(), e.getKey().label(), samples, averagingModels.get(e.getKey()), 0, new int[] {1, 4},
          series);
    }
    if (plot != null) {
      writePlot(series, d);
    }
  }

  private record XYSeriesData(String name, List<Double> x, List<Double> y) {}

  /**
   * Prints the predicted seconds to target for each M (samples from the simulation, negative: not reached), link and
   * number of masters, and adds to {@code series} the curve behind 10 GbE for each of {@code plotted} masters.
   */
  private void predictions(String title, String name, Map<Integer, Long> samples, ScalingModel model,
      long warmStartSamples, int[] plotted, List<XYSeriesData> series) {
    System.out.printf("predicted seconds to %.0f %%, %s (samples from the simulation; W: workers bound, C: Redis CPU, "
        + "N: network)%n", 100 * target, title);
    System.out.printf("%4s %-8s", "M", "link");
    for (int s : SHARDS) {
      System.out.printf(" %12s", "S=" + s);
    }
    System.out.println();
    for (Link link : Link.values()) {
      for (var r : samples.entrySet()) {
        System.out.printf("%4d %-8s", r.getKey(), link.label);
        for (int s : SHARDS) {
          Prediction p = model.predict(r.getKey(), s, link, r.getValue(), warmStartSamples);
          System.out.printf(" %12s", Double.isNaN(p.secondsToTarget()) ? "-"
              : String.format("%.2f %s", p.secondsToTarget(), p.bound().code));
        }
        System.out.println();
      }
    }
    for (int s : plotted) {
      List<Double> workerCounts = new ArrayList<>();
      List<Double> seconds = new ArrayList<>();
      for (var r : samples.entrySet()) {
        Prediction p = model.predict(r.getKey(), s, Link.GBE_10, r.getValue(), warmStartSamples);
        if (!Double.isNaN(p.secondsToTarget())) {
          workerCounts.add((double) r.getKey());
          seconds.add(p.secondsToTarget());
        }
      }
      if (!workerCounts.isEmpty()) {
        series.add(new XYSeriesData(name + ", S=" + s + ", 10 GbE", workerCounts, seconds));
      }
    }
  }

  private void writePlot(List<XYSeriesData> series, TrainingConfig d) throws IOException {
    XYChart chart = new XYChartBuilder().width(900).height(540)
        .title(String.format("Predicted time to %.0f %% (Downpour: fetch/push every %d/%d steps)", 100 * target,
            d.nFetch(), d.nPush()))
        .xAxisTitle("workers M").yAxisTitle("seconds").build();
    chart.getStyler().setXAxisLogarithmic(true).setXAxisLogarithmicDecadeOnly(false);
    for (XYSeriesData s : series) {
      chart.addSeries(s.name(), s.x(), s.y());
    }
    Path parent = plot.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    BitmapEncoder.saveBitmap(chart, plot.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("wrote " + plot);
  }
}
