package dev.emnistfaas.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
  private static final NetworkShape SHAPE = new NetworkShape(784, 4, 3);

  @Test
  void roundTripsAndRefusesTheOldInputOrder(@TempDir Path dir) throws IOException {
    ParameterVector params = ParameterVector.initial(SHAPE, 3);
    ModelFile model = new ModelFile(SHAPE, new int[] {'a', 'b', -1}, params.toArray());
    Path file = dir.resolve("model.bin");
    model.write(file);
    ModelFile back = ModelFile.read(file);
    assertEquals(SHAPE, back.shape());
    assertArrayEquals(new int[] {'a', 'b', -1}, back.charCodes());
    assertArrayEquals(params.toArray(), back.toParameters().toArray());

    byte[] bytes = Files.readAllBytes(file);
    System.arraycopy("EMNIST01".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 8);
    Files.write(file, bytes);
    IOException old = assertThrows(IOException.class, () -> ModelFile.read(file));
    assertEquals(file + ": an EMNIST01 model, whose first-layer rows are in an input order this version no "
        + "longer uses; train it again", old.getMessage());
    System.arraycopy("PNG_DATA".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 8);
    Files.write(file, bytes);
    IOException other = assertThrows(IOException.class, () -> ModelFile.read(file));
    assertEquals(file + ": not an emnist-faas model (no EMNIST02 header)", other.getMessage());
  }
}
