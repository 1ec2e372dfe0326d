package dev.emnistfaas.local;

import java.time.Duration;

/**
 * How the local gateway delivers calls; each setting mirrors a measured OpenFaaS CE behaviour.
 *
 * @param pods replicas of each function; each pod serves one request at a time (the Java entrypoint does)
 * @param queueWorkers queue-worker replicas; each delivers one async call at a time (CE has no max_inflight)
 * @param routing how a call picks its pod (faas-netes CE: random among ready endpoints)
 * @param maxInflight 0: a call to a busy pod waits for it; 1: it gets 429 at once (of-watchdog max_inflight=1)
 * @param ackWait an async call still running after this long is delivered again, in parallel (NATS
 *     redelivery); {@link Duration#ZERO} never redelivers
 * @param coldStart how long a pod takes to start before it serves its first call (a real pod starts its JVM and
 *     loads ND4J and the data: 2-7 s measured on the real components); calls routed to it meanwhile wait
 */
public record GatewaySettings(int pods, int queueWorkers, Routing routing, int maxInflight, Duration ackWait,
    Duration coldStart) {
  public enum Routing { ROUND_ROBIN, RANDOM }

  public GatewaySettings {
    if (pods < 1 || queueWorkers < 1 || maxInflight < 0 || maxInflight > 1 || ackWait.isNegative()
        || coldStart.isNegative()) {
      throw new IllegalArgumentException("gateway settings: pods and queueWorkers ≥ 1, maxInflight 0 or 1, "
          + "ackWait and coldStart ≥ 0; got " + pods + ", " + queueWorkers + ", " + maxInflight + ", " + ackWait
          + ", " + coldStart);
    }
  }

  /** Like a well-configured cluster for M workers: M pods, M queue workers, round-robin. */
  public static GatewaySettings wellConfigured(int workers) {
    return new GatewaySettings(workers, workers, Routing.ROUND_ROBIN, 0, Duration.ZERO, Duration.ZERO);
  }

  /** These settings with pods that take {@code coldStart} to start. */
  public GatewaySettings withColdStart(Duration coldStart) {
    return new GatewaySettings(pods, queueWorkers, routing, maxInflight, ackWait, coldStart);
  }

  /** OpenFaaS CE's defaults: one queue worker, random routing. */
  public static GatewaySettings ceDefaults(int pods) {
    return new GatewaySettings(pods, 1, Routing.RANDOM, 0, Duration.ZERO, Duration.ZERO);
  }
}
