package dev.emnistfaas.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * How a job's records are serialised in Redis, one way for all of them: each record type is one JSON document
 * written by Jackson; reading needs every field (a missing number is an error, not a zero), and a record that
 * does not parse is named with its text.
 */
final class StoredJson {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
      .configure(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, true);

  private StoredJson() {}

  static String write(Record record) {
    try {
      return JSON.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + record, e);
    }
  }

  static <T extends Record> T read(String json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt " + type.getSimpleName() + " record in the store ("
          + e.getOriginalMessage() + "): " + json, e);
    }
  }
}
