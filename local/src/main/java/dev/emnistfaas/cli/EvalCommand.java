package dev.emnistfaas.cli;

import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.EmnistSplit;
import dev.emnistfaas.data.LabelMapping;
import dev.emnistfaas.data.LabeledImages;
import dev.emnistfaas.nn.Evaluation;
import dev.emnistfaas.nn.Evaluator;
import dev.emnistfaas.nn.ModelFile;
import dev.emnistfaas.nn.ParameterVector;
import dev.emnistfaas.train.TrainingConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--model", required = true, description = "model.bin of a run")
  Path model;

  @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
  String data = System.getenv().getOrDefault("EMNIST_DIR", "");

  @Option(names = "--split", description = "EMNIST split (default: the only one present)")
  String split = "";

  /** Which images to score. */
  enum Part {
    /** The held-out part training evaluates on. */
    EVAL,
    /** The part training learns from. */
    TRAIN,
    /** The whole official test file set. */
    TEST
  }

  @Option(names = "--part", description = "eval (the held-out part training evaluates on), train (the training "
      + "part), or test (the whole official test file set); default ${DEFAULT-VALUE}")
  Part part = Part.EVAL;

  @Option(names = "--eval-fraction", description = "hold-out share, as in training (default ${DEFAULT-VALUE})")
  double evalFraction = EmnistDataset.Source.DEFAULT_EVAL_FRACTION;

  @Option(names = "--json", paramLabel = "FILE", description = "also write the evaluation as JSON to FILE")
  Path json;

  /** The config of the run that wrote {@code model}, from the result.json beside it, if there is one. */
  private static Optional<TrainingConfig> trainedOn(Path model) {
    Path result = model.toAbsolutePath().resolveSibling("result.json");
    if (!Files.isRegularFile(result)) {
      return Optional.empty();
    }
    try {
      return Optional.of(TrainingConfig.fromJson(JSON.readTree(result.toFile()).path("config").toString()));
    } catch (java.io.IOException | RuntimeException e) {
      System.err.println("warning: " + result + " does not say what the model trained on (" + e.getMessage() + ")");
      return Optional.empty();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) {
      throw new UsageError("--model: " + model + " is not a file (a run's model.bin, e.g. results/<job>/model.bin)");
    }
    if (!(evalFraction > 0 && evalFraction < 1)) {
      throw new UsageError("--eval-fraction: must be in (0, 1), got " + evalFraction);
    }
    if (DataHelp.reportIfMissing(data)) {
      return ExitCode.USAGE.code();
    }
    ModelFile m;
    try {
      m = ModelFile.read(model);
    } catch (java.io.IOException e) {
      throw new UsageError("--model: " + e.getMessage());
    }
    Path dir = Path.of(data);
    Optional<EmnistSplit> s;
    try {
      s = split.isEmpty() ? Optional.empty() : Optional.of(EmnistSplit.parse(split));
    } catch (IllegalArgumentException e) {
      throw new UsageError("--split: " + e.getMessage());
    }
    EmnistDataset d = EmnistDataset.load(new EmnistDataset.Source(dir, s, evalFraction,
        EmnistDataset.Source.DEFAULT_SPLIT_SEED));
    LabeledImages images = switch (part) {
      case EVAL -> d.eval();
      case TRAIN -> d.train();
      case TEST -> EmnistDataset.officialPart(dir, d.split(), EmnistSplit.Part.TEST);
    };
    // How many of the scored images a model trained on this folder has learnt from: the whole training part, or,
    // for the official test set, the share of it that became the training part when only that set is present.
    int overlap = switch (part) {
      case EVAL -> 0;
      case TRAIN -> images.size();
      case TEST -> d.splitFrom().equals(Optional.of(EmnistSplit.Part.TEST)) ? d.train().size() : 0;
    };
    // Whether the model learnt from this folder's training part, as the run that made it says (its result.json is
    // beside model.bin): judged from what it trained on, not from this folder's layout alone.
    Optional<TrainingConfig> trainedOn = trainedOn(model);
    boolean known = trainedOn.isPresent();
    if (known && !(Path.of(trainedOn.get().dataDir()).toAbsolutePath().normalize()
        .equals(dir.toAbsolutePath().normalize()) && trainedOn.get().evalFraction() == evalFraction
        && trainedOn.get().splitSeed() == EmnistDataset.Source.DEFAULT_SPLIT_SEED)) {
      overlap = 0; // trained on other data, or this folder split otherwise: none of these images is known to it
    }
    LabelMapping mapping = images.mapping();
    if (!Arrays.equals(m.charCodes(), mapping.firstCodes())) {
      System.err.println("error: the model's " + m.charCodes().length + " labels do not match the data's label "
          + "mapping (" + mapping.classes() + " labels): a model scores only data with its own label set");
      return ExitCode.USAGE.code();
    }
    ParameterVector params = m.toParameters();
    int[][] confusion = new int[mapping.classes()][mapping.classes()];
    Evaluation e = new Evaluator(params.network(), images).evaluate(params, confusion);
    String partName = part.name().toLowerCase(java.util.Locale.ROOT);
    System.out.printf("model %s (network %s) on %s, part %s: %d images%n", model, params.network().name(), dir, partName,
        images.size());
    String overlapNote = overlap == 0 ? "" : overlap == images.size()
        ? "every one of these images is in the training part: this accuracy is not a held-out score"
        : String.format("%d of these %d images (%.1f %%) are in the training part (only the official test set is "
            + "present here and training used most of it): this accuracy is not a held-out score; --part eval is",
            overlap, images.size(), 100.0 * overlap / images.size());
    if (!overlapNote.isEmpty() && !known) {
      overlapNote = "the run that made this model left no result.json beside it, so what it trained on is unknown; "
          + "if it trained on this folder: " + overlapNote;
    }
    if (!overlapNote.isEmpty()) {
      System.out.println("note: " + overlapNote);
    }
    System.out.printf("accuracy %.6f  (%d of %d), balanced accuracy %.6f (mean recall of %d classes), mean loss "
        + "%.4f%n%n", e.accuracy(), e.correct(), e.count(), e.balancedAccuracy(),
        Arrays.stream(confusion).filter(row -> Arrays.stream(row).sum() > 0).count(), e.meanLoss());
    System.out.println("label  char  images  accuracy");
    List<int[]> pairs = new ArrayList<>();
    ObjectNode perClass = JSON.createObjectNode();
    for (int t = 0; t < confusion.length; t++) {
      int total = Arrays.stream(confusion[t]).sum();
      if (total > 0) {
        System.out.printf("%5d  %4s  %6d  %7.2f %%%n", t, mapping.character(t), total,
            100.0 * confusion[t][t] / total);
        perClass.put(mapping.character(t), (double) confusion[t][t] / total);
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
    if (json != null) {
      ObjectNode out = JSON.createObjectNode().put("model", model.toString()).put("data", dir.toString())
          .put("part", partName).put("images", images.size()).put("correct", e.correct())
          .put("accuracy", e.accuracy()).put("balancedAccuracy", e.balancedAccuracy()).put("meanLoss", e.meanLoss()).put("imagesInTrainingPart", overlap)
          .put("heldOut", overlap == 0);
      if (!overlapNote.isEmpty()) {
        out.put("note", overlapNote);
      }
      out.set("accuracyPerClass", perClass);
      JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
    }
    return ExitCode.OK.code();
  }
}
