package dev.emnistfaas.faas;

import dev.emnistfaas.nn.Blas;
import dev.emnistfaas.train.PodWarmUp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Runs while a function image is built (the template's build.sh and Dockerfile), so that a pod unpacks nothing
 * and writes nothing at start. It loads ND4J, which makes JavaCPP unpack its native libraries into the folder
 * named by {@code -Dorg.bytedeco.javacpp.cachedir} (build.sh natives: the image keeps that folder and loads the
 * libraries from it); and, where the image carries EMNIST images, it warms a pod up once, so that the class
 * archive the JVM writes at exit ({@code -XX:ArchiveClassesAtExit}, in the Dockerfile's run stage) holds the
 * classes of the data, the training step and the evaluation. The handler and entrypoint classes are loaded (not
 * initialised) for the archive too.
 */
public final class ImagePreparation {
  private ImagePreparation() {}

  public static void main(String[] args) throws ClassNotFoundException, IOException {
    ClassLoader loader = ImagePreparation.class.getClassLoader();
    if (onClasspath(ND4J, loader)) {
      long t0 = System.nanoTime();
      Blas.useThreads(1);
      System.out.printf("image preparation: ND4J loaded in %.1f s (native cache: %s)%n",
          (System.nanoTime() - t0) / 1e9, System.getProperty("org.bytedeco.javacpp.cachedir", "~/.javacpp/cache"));
    } else {
      System.out.println("image preparation: no ND4J on the classpath (emnist-predict): no native libraries");
    }
    FunctionSettings settings = FunctionSettings.fromEnvironment();
    Path data = Path.of(settings.defaults().dataDir());
    if (holdsImages(data)) {
      PodWarmUp.Summary s = PodWarmUp.run(settings.defaults());
      System.out.printf("image preparation: warm-up on %s: data %.1f s, training step %.1f s%n", data,
          s.loadSeconds(), s.jitSeconds());
    }
    for (String name : new String[] {"com.openfaas.function.Handler", "com.openfaas.entrypoint.App"}) {
      Class.forName(name, false, loader);
    }
  }

  /** ND4J's entry class: emnist-predict's image leaves ND4J out (predict-fn/pom.xml). */
  private static final String ND4J = "org.nd4j.linalg.factory.Nd4j";

  private static boolean onClasspath(String name, ClassLoader loader) {
    try {
      Class.forName(name, false, loader);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Whether {@code dir} holds EMNIST images (emnist-setup's image carries only the label mapping). */
  private static boolean holdsImages(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().contains("-images-idx3-ubyte"));
    }
  }
}
