package dev.emnistfaas.train;

/**
 * One slice's throughput, kept per job so that the status can draw each worker's samples/s over the job's time,
 * also after the job ended.
 *
 * @param worker the worker
 * @param seconds when the slice ended, in seconds since the job was created
 * @param samplesPerSecond the samples it trained per second of training
 */
public record SliceRate(int worker, double seconds, double samplesPerSecond) {
  public String toJson() {
    return StoredJson.write(this);
  }

  public static SliceRate fromJson(String json) {
    return StoredJson.read(json, SliceRate.class);
  }
}
