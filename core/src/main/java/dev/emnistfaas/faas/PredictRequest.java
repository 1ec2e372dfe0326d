package dev.emnistfaas.faas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.openfaas.model.IRequest;
import dev.emnistfaas.data.EmnistPreprocessing;
import dev.emnistfaas.data.LabeledImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * What an emnist-predict call asks: one image (784 pixels as a person reads them, or a picture) and which model
 * should read it (a job's best, or a model baked into the image). Parsing checks everything and says in our
 * words what is wrong ({@link Refused}).
 *
 * <p>A picture comes base64-encoded: as the body with {@code Content-Type: image/png} (plain base64 or a
 * {@code data:} URL), or as {@code "png"} in the JSON. Raw binary cannot arrive intact: the OpenFaaS Java
 * entrypoint reads every body as UTF-8 text, which replaces the bytes of a binary file that are not UTF-8.
 */
record PredictRequest(int[] stored, Optional<String> job, Optional<String> model) {
  /** The largest body: a picture of 3 MB, base64-encoded. */
  static final int MAX_BODY_CHARS = 4 << 20;
  /** The longest side a picture is read at; larger ones are read at every k-th pixel (see {@link #decode}). */
  static final int READ_SIDE = 1024;
  /** The largest picture, in pixels: a drawing, not a photograph of a page. */
  static final long MAX_PICTURE_PIXELS = 4096L * 4096;
  /** The fields a JSON body may have. */
  static final List<String> FIELDS = List.of("pixels", "png", "job", "model");
  /** Line breaks and spaces, which base64 tools put into long output. */
  private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");

  /** A request refused with {@code status} and a message for the caller. */
  static final class Refused extends RuntimeException {
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  static PredictRequest parse(IRequest request) {
    String body = request.getBody() == null ? "" : request.getBody();
    if (body.length() > MAX_BODY_CHARS) {
      throw new Refused(413, "body has " + body.length() + " characters; at most " + MAX_BODY_CHARS
          + " (a picture of 3 MB, base64-encoded)");
    }
    Map<String, String> query = request.getQuery() == null ? Map.of() : request.getQuery();
    String type = Optional.ofNullable(HttpHeaders.value(request.getHeaders(), "Content-Type")).orElse("");
    if (type.startsWith("image/")) {
      return new PredictRequest(fromPicture(body.trim()), Optional.ofNullable(query.get("job")),
          Optional.ofNullable(query.get("model")));
    }
    JsonNode json;
    try {
      json = JsonResponse.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new Refused(400, "the body is neither JSON nor a picture (Content-Type: image/png, base64): "
          + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new Refused(400, "the body must be a JSON object: {\"pixels\": [784 integers 0-255], \"job\": \"ID\"}");
    }
    List<String> unknown = new ArrayList<>();
    json.fieldNames().forEachRemaining(f -> {
      if (!FIELDS.contains(f)) {
        unknown.add(f);
      }
    });
    if (!unknown.isEmpty()) {
      // A misspelt "job" would otherwise fall back silently to the newest job's model.
      throw new Refused(400, "unknown field" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
          + "; the fields are " + String.join(", ", FIELDS));
    }
    Optional<String> job = text(json, "job").or(() -> Optional.ofNullable(query.get("job")));
    Optional<String> model = text(json, "model").or(() -> Optional.ofNullable(query.get("model")));
    if (job.isPresent() && model.isPresent()) {
      throw new Refused(400, "name a job or a model, not both");
    }
    boolean hasPixels = json.has("pixels");
    boolean hasPng = json.has("png");
    if (hasPixels == hasPng) {
      throw new Refused(400, "give either \"pixels\" (784 integers 0-255: 0 paper, 255 ink; row-major, upright) or \"png\" "
          + "(a base64 picture), not " + (hasPixels ? "both" : "neither"));
    }
    int[] stored = hasPixels ? fromPixels(json.get("pixels")) : fromPicture(json.get("png").asText(""));
    return new PredictRequest(stored, job, model);
  }

  private static Optional<String> text(JsonNode json, String field) {
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isTextual() || n.asText().isBlank()) {
      throw new Refused(400, "\"" + field + "\" must be a non-empty string, got " + n);
    }
    return Optional.of(n.asText());
  }

  private static int[] fromPixels(JsonNode pixels) {
    if (!pixels.isArray() || pixels.size() != LabeledImages.PIXELS) {
      throw new Refused(400, "\"pixels\" must be an array of " + LabeledImages.PIXELS + " integers (28×28, "
          + "row-major, upright), got " + (pixels.isArray() ? pixels.size() + " values" : pixels.getNodeType()));
    }
    int[] upright = new int[LabeledImages.PIXELS];
    for (int i = 0; i < upright.length; i++) {
      JsonNode v = pixels.get(i);
      if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > 255) {
        throw new Refused(400, "pixel " + i + " (row " + i / LabeledImages.SIDE + ", column " + i % LabeledImages.SIDE
            + ") is " + v + "; pixels are integers 0-255 (0 paper, 255 ink, as in EMNIST)");
      }
      upright[i] = v.asInt();
    }
    if (java.util.Arrays.stream(upright).allMatch(p -> p == upright[0])) {
      throw new Refused(422, "the pixels hold no character: all " + LabeledImages.PIXELS + " are " + upright[0]
          + "; draw one (0 paper, 255 ink, as in EMNIST)");
    }
    return EmnistPreprocessing.storedFromUpright(upright);
  }

  private static int[] fromPicture(String base64) {
    if (base64.contains("\uFFFD")) {
      throw new Refused(415, "the body holds raw binary, which the OpenFaaS Java entrypoint cannot pass on intact; "
          + "send the PNG base64-encoded, e.g. curl -H 'Content-Type: image/png' --data-binary @<(base64 -w0 char.png)");
    }
    String data = base64.startsWith("data:") ? base64.substring(base64.indexOf(',') + 1) : base64;
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(WHITESPACE.matcher(data).replaceAll(""));
    } catch (IllegalArgumentException e) {
      throw new Refused(400, "the picture is not base64 (" + e.getMessage() + "); the OpenFaaS Java entrypoint reads "
          + "bodies as UTF-8 text, so send a PNG base64-encoded, e.g. curl -H 'Content-Type: image/png' "
          + "--data-binary @<(base64 -w0 char.png)");
    }
    try {
      return EmnistPreprocessing.fromPicture(decode(bytes));
    } catch (EmnistPreprocessing.BlankPicture e) {
      throw new Refused(422, e.getMessage());
    }
  }

  /** Decodes a picture after checking its size from its header, so that a small file cannot claim gigapixels. */
  private static BufferedImage decode(byte[] bytes) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw new Refused(415, "not a picture: " + bytes.length + " bytes in no format this function reads (PNG, "
            + "JPEG, GIF, BMP)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > MAX_PICTURE_PIXELS) {
          throw new Refused(413, "the picture is " + reader.getWidth(0) + "×" + reader.getHeight(0)
              + " pixels; at most " + MAX_PICTURE_PIXELS + " (4096×4096)");
        }
        // Read at most about READ_SIDE pixels a side: the picture ends at 28×28, and preparing a 4096×4096 one in
        // full took 7 s, holding the pod (the entrypoint answers one request at a time); read every k-th pixel, 0.2 s.
        int k = (int) Math.max(1, Math.ceil(Math.max(reader.getWidth(0), reader.getHeight(0)) / (double) READ_SIDE));
        ImageReadParam every = reader.getDefaultReadParam();
        every.setSourceSubsampling(k, k, 0, 0);
        return reader.read(0, every);
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      throw new Refused(400, "the picture could not be read: " + e.getMessage());
    }
  }
}
