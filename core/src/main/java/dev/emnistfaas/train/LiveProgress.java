package dev.emnistfaas.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a running slice reports about itself about once a second, in a record of its own beside the saved
 * position (which resuming relies on): the status shows these figures between slice ends.
 *
 * @param slice the number of the slice reporting
 * @param epochs epochs completed, with the current one's fraction
 * @param samples samples trained by the worker so far, this slice's included
 * @param samplesPerSecond this slice's throughput so far
 * @param millis when (epoch millis)
 * @param host the pod running the slice
 */
public record LiveProgress(int slice, double epochs, long samples, double samplesPerSecond, long millis,
    String host) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + this, e);
    }
  }

  public static LiveProgress fromJson(String json) {
    try {
      return JSON.readValue(json, LiveProgress.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt live-progress record in the store (" + e.getOriginalMessage()
          + "): " + json, e);
    }
  }
}
