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
  private static final MlpNetwork SHAPE = new MlpNetwork(784, 4, 3);

  @Test
  void roundTripsAndRefusesTheOldInputOrder(@TempDir Path dir) throws IOException {
    ParameterVector params = ParameterVector.initial(SHAPE, 3);
    ModelFile model = new ModelFile(SHAPE, new int[] {'a', 'b', -1}, params.toArray());
    Path file = dir.resolve("model.bin");
    model.write(file);
    ModelFile back = ModelFile.read(file);
    assertEquals(SHAPE, back.network());
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
    assertEquals(file + ": not an emnist-faas model (no EMNIST03 or EMNIST02 header)", other.getMessage());
  }

  @Test
  void aConvolutionalNetworkRoundTripsByName(@TempDir Path dir) throws IOException {
    ConvNetwork network = ConvNetwork.parse("c4k3-p2-f5", 3);
    ParameterVector params = ParameterVector.initial(network, 4);
    Path file = dir.resolve("model.bin");
    new ModelFile(network, new int[] {'x', 'y', 'z'}, params.toArray()).write(file);
    ModelFile back = ModelFile.read(file);
    assertEquals(network, back.network());
    assertArrayEquals(params.toArray(), back.toParameters().toArray());
  }

  @Test
  void aVersion02FileOfTheMlpStillLoads(@TempDir Path dir) throws IOException {
    ParameterVector params = ParameterVector.initial(SHAPE, 5);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 12 + 3 * 4 + SHAPE.size() * 4)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put("EMNIST02".getBytes(StandardCharsets.US_ASCII)).putInt(784).putInt(4).putInt(3);
    b.putInt('a').putInt('b').putInt('c');
    b.asFloatBuffer().put(params.toArray());
    Path file = dir.resolve("old.bin");
    Files.write(file, b.array());
    ModelFile back = ModelFile.read(file);
    assertEquals(SHAPE, back.network());
    assertArrayEquals(new int[] {'a', 'b', 'c'}, back.charCodes());
    assertArrayEquals(params.toArray(), back.toParameters().toArray());
  }
}
