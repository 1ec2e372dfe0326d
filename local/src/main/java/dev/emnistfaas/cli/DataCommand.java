package dev.emnistfaas.cli;

import dev.emnistfaas.data.ArchiveDownload;
import dev.emnistfaas.data.ChecksumTable;
import dev.emnistfaas.data.EmnistDataset;
import dev.emnistfaas.data.EmnistSplit;
import dev.emnistfaas.data.FunctionDataFolder;
import dev.emnistfaas.data.FunctionDataFolder.Contents;
import dev.emnistfaas.data.LabeledImages;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code emnist data}: fetch and inspect EMNIST files. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Fetch and inspect EMNIST files.",
    subcommands = {DataCommand.Download.class, DataCommand.Info.class, DataCommand.Bake.class})
final class DataCommand {

  @Command(name = "download", mixinStandardHelpOptions = true,
      description = "Fetch NIST's EMNIST archive (gzip.zip, resumable), extract one split's files and check them "
          + "against the sha256 table; nothing is installed unless every file checks out.")
  static final class Download implements Callable<Integer> {
    @Option(names = "--split", description = "split to install (default ${DEFAULT-VALUE})")
    String split = "bymerge";

    @Option(names = "--dir", description = "where to put the files (default: data/emnist-<split>)")
    Path dir;

    @Option(names = "--url", description = "archive address (default: NIST's)")
    URI url = ArchiveDownload.NIST_ARCHIVE;

    @Override
    public Integer call() throws Exception {
      EmnistSplit s;
      try {
        s = EmnistSplit.parse(split);
      } catch (IllegalArgumentException e) {
        throw new UsageError("--split: " + e.getMessage());
      }
      Path target = dir != null ? dir : Path.of("data", "emnist-" + s.id());
      Files.createDirectories(target);
      try {
        var files = new ArchiveDownload(url, ChecksumTable.official(), System.out).install(s, target);
        files.forEach(f -> System.out.println("installed " + f));
        return ExitCode.OK.code();
      } catch (java.io.IOException e) {
        System.err.println("error: " + e.getMessage());
        System.err.println(DataHelp.missing(target.toString()));
        return ExitCode.RUNTIME.code();
      }
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "The EMNIST splits in a directory, their image counts and classes.")
  static final class Info implements Callable<Integer> {
    @Parameters(index = "0", description = "EMNIST directory")
    Path dir;

    @Override
    public Integer call() {
      if (DataHelp.reportIfMissing(dir.toString())) {
        return ExitCode.USAGE.code();
      }
      var splits = EmnistSplit.presentIn(dir);
      if (splits.isEmpty()) {
        System.err.println("error: " + dir + " holds no EMNIST images file (emnist-<split>-<train|test>-images-"
            + "idx3-ubyte.gz, splits " + EmnistSplit.ids() + ")");
        System.err.println(DataHelp.missing(dir.toString()).lines().skip(1)
            .collect(java.util.stream.Collectors.joining("\n")));
        return ExitCode.USAGE.code();
      }
      for (EmnistSplit s : splits) {
        EmnistDataset d = EmnistDataset.load(EmnistDataset.Source.of(dir).withSplit(s));
        LabeledImages all = d.train();
        System.out.printf("%s: %d classes (%d labels listed), %d training and %d evaluation images%n  %s%n",
            s.id(), all.classes(), all.mapping().labelCount(), d.train().size(), d.eval().size(),
            d.description());
      }
      return ExitCode.OK.code();
    }
  }

  @Command(name = "bake", mixinStandardHelpOptions = true,
      description = "Put one split's EMNIST files where the function images take them from: train-fn/data (images, "
          + "labels, mapping), setup-fn/data and predict-fn/data (the mapping; predict-fn also takes --model files). Every file is checked (sha256 against NIST's, then "
          + "read in full) and listed in a SHA256SUMS file that the image build checks first. Run it before "
          + "faas-cli build; a folder is replaced only when all its files check out.")
  static final class Bake implements Callable<Integer> {
    /** A function, its handler folder in the checkout, and the data its image carries. */
    private record Handler(String function, String folder, Contents contents) {}

    private static final java.util.List<Handler> HANDLERS = java.util.List.of(
        new Handler("emnist-train", "train-fn", Contents.TRAINING_FILES),
        new Handler("emnist-setup", "setup-fn", Contents.MAPPING),
        new Handler("emnist-predict", "predict-fn", Contents.MAPPING));
    private static final java.util.regex.Pattern MODEL_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

    @Option(names = "--model", paramLabel = "NAME=FILE", description = "a trained model (a model.bin of emnist "
        + "train) for emnist-predict's image, asked for as \"model\": \"NAME\"; repeatable")
    java.util.Map<String, Path> models = new java.util.LinkedHashMap<>();

    @Option(names = "--data", description = "EMNIST directory (default: $EMNIST_DIR)")
    String data = System.getenv().getOrDefault("EMNIST_DIR", "");

    @Option(names = "--split", description = "split to put in (default: the one split in --data)")
    String split;

    @Option(names = "--project", description = "the checkout holding emnist.yml and the handler folders "
        + "(default: this one)")
    Path project = Path.of(System.getProperty("emnist.root", "."));

    @Override
    public Integer call() throws Exception {
      if (DataHelp.reportIfMissing(data)) {
        return ExitCode.USAGE.code();
      }
      Path dir = Path.of(data);
      EmnistSplit s = chosenSplit(dir);
      if (!Files.isRegularFile(project.resolve("emnist.yml"))) {
        throw new UsageError("--project: " + project + " holds no emnist.yml (the project's checkout)");
      }
      java.util.Map<String, Path> modelFiles = checkedModels(dir, s);
      var table = ChecksumTable.official();
      for (Handler h : HANDLERS) {
        Path folder = project.resolve(h.folder()).resolve("data");
        var placed = FunctionDataFolder.fill(dir, s, h.contents(), folder, table,
            h.function().equals("emnist-predict") ? modelFiles : java.util.Map.of());
        System.out.println(h.function() + ": " + folder);
        for (var p : placed) {
          System.out.printf("  %-44s %,12d bytes  %s%n", p.name(), p.bytes(),
              p.inOfficialTable() ? "sha256 matches NIST's" : "read in full (no published digest)");
        }
      }
      System.out.println("listed in SHA256SUMS in each folder; next: faas-cli build -f emnist.yml");
      return ExitCode.OK.code();
    }

    /**
     * The --model files by the names emnist-predict reads them under ({@code model-NAME.bin}), each read as a model
     * and checked against the split's classes.
     */
    private java.util.Map<String, Path> checkedModels(Path dir, EmnistSplit s) {
      java.util.List<String> problems = new java.util.ArrayList<>();
      java.util.Map<String, Path> out = new java.util.TreeMap<>();
      int classes = dev.emnistfaas.data.LabelMapping.read(dir.resolve(s.mappingFile())).classes();
      models.forEach((name, file) -> {
        if (!MODEL_NAME.matcher(name).matches()) {
          problems.add("--model " + name + ": a name is 1-64 letters, digits, '-' or '_'");
          return;
        }
        try {
          var model = dev.emnistfaas.nn.ModelFile.read(file);
          if (model.network().classes() != classes) {
            problems.add("--model " + name + ": " + file + " has " + model.network().classes() + " classes, "
                + s.id() + " has " + classes);
          }
          out.put("model-" + name + ".bin", file);
        } catch (java.io.IOException e) {
          problems.add("--model " + name + ": " + e.getMessage());
        }
      });
      if (!problems.isEmpty()) {
        throw new UsageError(problems);
      }
      return out;
    }

    private EmnistSplit chosenSplit(Path dir) {
      if (split != null) {
        try {
          return EmnistSplit.parse(split);
        } catch (IllegalArgumentException e) {
          throw new UsageError("--split: " + e.getMessage());
        }
      }
      var present = EmnistSplit.presentIn(dir);
      if (present.size() != 1) {
        throw new UsageError("--split: " + dir + " holds " + (present.isEmpty() ? "no EMNIST split"
            : "several splits " + present.stream().map(EmnistSplit::id).toList()) + "; name one with --split");
      }
      return present.first();
    }
  }
}
