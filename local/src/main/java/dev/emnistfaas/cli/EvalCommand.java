package dev.emnistfaas.cli;

import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.EmnistSplit;
import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.Evaluation;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.ModelFile;
import dev.emnistfaas.nn.ParameterVector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code emnist eval}: scores a saved model on an EMNIST file set. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Score a saved model (model.bin) on EMNIST files with the same label set: accuracy, "
        + "per-class accuracy and the most confused pairs.")
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "model.bin of a run")
  Path model;

  @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--split", description = "EMNIST split (default: the only one present)")
  String split = "";

  @Option(names = "--part", description = "eval (the held-out part training evaluates on), train (the training "
      + "part), or test (the whole official test file set); default ${DEFAULT-VALUE}")
  String part = "eval";

  @Option(names = "--eval-fraction", description = "hold-out share, as in training (default ${DEFAULT-VALUE})")
  double evalFraction = EmnistDataset.Source.DEFAULT_EVAL_FRACTION;

  @Override
  public Integer call() throws Exception {
    if (data.isBlank() || !Files.isDirectory(Path.of(data))) {
      System.err.println(DataHelp.missing(data));
      return 2;
    }
    ModelFile m = ModelFile.read(model);
    Path dir = Path.of(data);
    Optional<EmnistSplit> s = split.isEmpty() ? Optional.empty() : Optional.of(EmnistSplit.parse(split));
    LabeledImages images = switch (part) {
      case "eval", "train" -> {
        EmnistDataset d = EmnistDataset.load(new EmnistDataset.Source(dir, s, evalFraction,
            EmnistDataset.Source.DEFAULT_SPLIT_SEED));
        yield part.equals("eval") ? d.eval() : d.train();
      }
      case "test" -> EmnistDataset.officialPart(dir, s.orElseGet(() -> EmnistSplit.presentIn(dir).first()),
          EmnistSplit.Part.TEST);
      default -> throw new IllegalArgumentException("--part must be eval, train or test, got " + part);
    };
    LabelMapping mapping = images.mapping();
    if (!Arrays.equals(m.charCodes(), mapping.firstCodes())) {
      System.err.println("error: the model's " + m.charCodes().length + " labels do not match the data's label "
          + "mapping (" + mapping.classes() + " labels): a model scores only data with its own label set");
      return 2;
    }
    ParameterVector params = m.toParameters();
    int[][] confusion = new int[mapping.classes()][mapping.classes()];
    Evaluation e = new Evaluator(params.shape(), images).evaluate(params, confusion);
    System.out.printf("model %s (network %s) on %s, part %s: %d images%n", model, params.shape(), dir, part,
        images.size());
    System.out.printf("accuracy %.6f  (%d of %d), mean loss %.4f%n%n", e.accuracy(), e.correct(), e.count(),
        e.meanLoss());
    System.out.println("label  char  images  accuracy");
    List<int[]> pairs = new ArrayList<>();
    for (int t = 0; t < confusion.length; t++) {
      int total = Arrays.stream(confusion[t]).sum();
      if (total > 0) {
        System.out.printf("%5d  %4s  %6d  %7.2f %%%n", t, mapping.character(t), total,
            100.0 * confusion[t][t] / total);
      }
      for (int p = 0; p < confusion.length; p++) {
        if (p != t && confusion[t][p] > 0) {
          pairs.add(new int[] {t, p, confusion[t][p]});
        }
      }
    }
    pairs.sort((a, b) -> b[2] - a[2]);
    System.out.println("\nmost confused (true -> predicted: images)");
    for (int[] p : pairs.subList(0, Math.min(10, pairs.size()))) {
      System.out.printf("  %s -> %s: %d%n", mapping.character(p[0]), mapping.character(p[1]), p[2]);
    }
    return 0;
  }
}
