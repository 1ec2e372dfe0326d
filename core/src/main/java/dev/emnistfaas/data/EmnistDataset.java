package dev.emnistfaas.data;

import dev.emnistfaas.data.EmnistSplit.Part;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The training and evaluation parts of one EMNIST split in a directory. With both official file sets present
 * they are train and test; with only one, that set is split by a seeded permutation and the last
 * {@code evalFraction} of it becomes the evaluation part ({@link #description} says which happened).
 *
 * @param splitFrom the official file set that was split into the training and evaluation parts; empty when both
 *     official sets are present (then training uses the train set and evaluation the test set)
 */
public record EmnistDataset(EmnistSplit split, LabeledImages train, LabeledImages eval, Optional<Part> splitFrom,
    String description) {

  /** Where the data is and how to split it when only one file set is present. */
  public record Source(Path dir, Optional<EmnistSplit> split, double evalFraction, long splitSeed) {
    public static final double DEFAULT_EVAL_FRACTION = 0.1;
    public static final long DEFAULT_SPLIT_SEED = 7;

    public Source {
      if (!(evalFraction > 0 && evalFraction < 1)) {
        throw new IllegalArgumentException("evalFraction must be in (0, 1), got " + evalFraction);
      }
    }

    public static Source of(Path dir) {
      return new Source(dir, Optional.empty(), DEFAULT_EVAL_FRACTION, DEFAULT_SPLIT_SEED);
    }

    public Source withSplit(EmnistSplit s) {
      return new Source(dir, Optional.of(s), evalFraction, splitSeed);
    }
  }

  public static EmnistDataset load(Source source) {
    Path dir = source.dir();
    if (!Files.isDirectory(dir)) {
      throw new EmnistFormatException(dir, "data directory not found");
    }
    EmnistSplit split = source.split().orElseGet(() -> detectSplit(dir));
    LabelMapping mapping = LabelMapping.read(dir.resolve(split.mappingFile()));
    Optional<LabeledImages> train = readPart(dir, split, Part.TRAIN, mapping);
    Optional<LabeledImages> test = readPart(dir, split, Part.TEST, mapping);
    if (train.isPresent() && test.isPresent()) {
      return new EmnistDataset(split, train.get(), test.get(), Optional.empty(), String.format(
          "%s: official train set (%d images) for training, official test set (%d images) for evaluation",
          split.id(), train.get().size(), test.get().size()));
    }
    if (train.isEmpty() && test.isEmpty()) {
      throw new EmnistFormatException(dir.resolve(split.imagesFile(Part.TEST)),
          "file not found (nor " + split.imagesFile(Part.TRAIN) + "); no EMNIST " + split.id() + " images in " + dir);
    }
    Part part = train.isPresent() ? Part.TRAIN : Part.TEST;
    LabeledImages all = train.orElseGet(test::get);
    int n = all.size();
    int nEval = (int) (n * source.evalFraction());
    int[] order = SeededPermutation.of(n, source.splitSeed());
    int[] trainIdx = java.util.Arrays.copyOfRange(order, 0, n - nEval);
    int[] evalIdx = java.util.Arrays.copyOfRange(order, n - nEval, n);
    return new EmnistDataset(split, all.select(trainIdx), all.select(evalIdx), Optional.of(part), String.format(
        "%s: only the official %s set is present (%d images); split by seeded permutation (seed %d) into "
            + "%d for training and %d (%.0f %%) for evaluation",
        split.id(), part.id(), n, source.splitSeed(), n - nEval, nEval, 100 * source.evalFraction()));
  }

  private static EmnistSplit detectSplit(Path dir) {
    TreeSet<EmnistSplit> present = EmnistSplit.presentIn(dir);
    if (present.size() == 1) {
      return present.first();
    }
    if (present.isEmpty()) {
      throw new EmnistFormatException(dir, "no EMNIST files (emnist-<split>-<train|test>-images-idx3-ubyte.gz "
          + "and friends, splits " + EmnistSplit.ids() + ")");
    }
    throw new EmnistFormatException(dir, "several EMNIST splits present " + present.stream().map(EmnistSplit::id)
        .toList() + "; choose one");
  }

  /** One official file set of a split in full (e.g. to score a model on the whole official test set). */
  public static LabeledImages officialPart(Path dir, EmnistSplit split, Part part) {
    LabelMapping mapping = LabelMapping.read(dir.resolve(split.mappingFile()));
    return readPart(dir, split, part, mapping).orElseThrow(() -> new EmnistFormatException(
        dir.resolve(split.imagesFile(part)), "file not found"));
  }

  /** Reads one file set, or nothing when neither its images nor its labels file exists. */
  private static Optional<LabeledImages> readPart(Path dir, EmnistSplit split, Part part, LabelMapping mapping) {
    Optional<Path> images = find(dir, split.imagesFile(part));
    Optional<Path> labels = find(dir, split.labelsFile(part));
    if (images.isEmpty() && labels.isEmpty()) {
      return Optional.empty();
    }
    if (labels.isEmpty()) {
      throw new EmnistFormatException(dir.resolve(split.labelsFile(part)),
          "file not found, though its images file " + images.get().getFileName() + " is present");
    }
    if (images.isEmpty()) {
      throw new EmnistFormatException(dir.resolve(split.imagesFile(part)),
          "file not found, though its labels file " + labels.get().getFileName() + " is present");
    }
    return Optional.of(read(images.get(), labels.get(), mapping, dir.resolve(split.mappingFile())));
  }

  /** Reads and cross-checks an images file and a labels file. */
  public static LabeledImages read(Path imagesFile, Path labelsFile, LabelMapping mapping, Path mappingFile) {
    IdxFile images = IdxFile.read(imagesFile, 3);
    int[] d = images.dims();
    if (d[1] != LabeledImages.SIDE || d[2] != LabeledImages.SIDE) {
      throw new EmnistFormatException(imagesFile, String.format(
          "images are %dx%d, expected %dx%d", d[1], d[2], LabeledImages.SIDE, LabeledImages.SIDE));
    }
    IdxFile labels = IdxFile.read(labelsFile, 1);
    if (labels.dims()[0] != d[0]) {
      throw new EmnistFormatException(labelsFile, String.format(
          "holds %d labels but images file %s holds %d images", labels.dims()[0], imagesFile.getFileName(), d[0]));
    }
    byte[] lb = labels.data();
    for (int i = 0; i < lb.length; i++) {
      int label = lb[i] & 0xff;
      if (!mapping.contains(label)) {
        throw new EmnistFormatException(labelsFile, String.format(
            "label %d at index %d is not in %s (%d labels listed)", label, i, mappingFile.getFileName(),
            mapping.labelCount()));
      }
    }
    return new LabeledImages(images.data(), lb, mapping);
  }

  /** {@code gzName} in {@code dir}, or the same file unzipped (without .gz) when only that exists. */
  static Optional<Path> find(Path dir, String gzName) {
    Path gz = dir.resolve(gzName);
    if (Files.exists(gz)) {
      return Optional.of(gz);
    }
    Path plain = dir.resolve(gzName.substring(0, gzName.length() - 3));
    return Files.exists(plain) ? Optional.of(plain) : Optional.empty();
  }
}
