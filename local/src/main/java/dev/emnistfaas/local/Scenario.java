package dev.emnistfaas.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A benchmark scenario ({@code tests/*.yml}): an OpenFaaS stack overlay for emnist-train whose labels scale the
 * function and whose environment holds the config fields that differ from the defaults.
 */
public record Scenario(String name, Map<String, String> labels, Map<String, String> environment) {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  public static Scenario read(Path file) throws IOException {
    JsonNode train = YAML.readTree(file.toFile()).path("functions").path("emnist-train");
    if (train.isMissingNode()) {
      throw new IOException(file + ": no functions.emnist-train section");
    }
    String name = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
    return new Scenario(name, strings(train.path("labels")), strings(train.path("environment")));
  }

  private static Map<String, String> strings(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  /** The environment as a JSON body of config overrides for emnist-setup (numbers as numbers). */
  public String overridesJson() {
    ObjectNode o = JSON.createObjectNode();
    environment.forEach((k, v) -> {
      try {
        JsonNode n = JSON.readTree(v);
        o.set(k, n.isValueNode() ? n : JSON.getNodeFactory().textNode(v));
      } catch (IOException e) {
        o.put(k, v);
      }
    });
    return o.toString();
  }

  /** faas-cli deploy flags that apply the overlay: one --label and one --env per entry. */
  public String deployFlags() {
    StringBuilder sb = new StringBuilder();
    labels.forEach((k, v) -> sb.append(" --label ").append(k).append('=').append(v));
    environment.forEach((k, v) -> sb.append(" --env ").append(k).append('=').append(v));
    return sb.toString().trim();
  }
}
