package dev.emnistfaas.faas;

import dev.emnistfaas.train.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one installation lets a job ask for, so that a caller with the token still cannot take every pod, every
 * queue-worker or all of Redis's memory: the most workers per job, the most jobs running at once, and the most
 * parameters a job's network may have. From the environment: {@code max_workers_per_job} (default 64, the
 * project's largest measured scale), {@code max_running_jobs} (default 4) and {@code max_parameters} (default
 * 5,000,000: 20 MB of floats per copy in Redis; the largest network measured has 833,967).
 */
public record Quotas(int maxWorkersPerJob, int maxRunningJobs, long maxParameters) {
  public static final Quotas DEFAULT = new Quotas(64, 4, 5_000_000L);

  public Quotas {
    if (maxWorkersPerJob < 1 || maxRunningJobs < 1 || maxParameters < 1) {
      throw new IllegalArgumentException("environment: quotas must be ≥ 1, got max_workers_per_job="
          + maxWorkersPerJob + ", max_running_jobs=" + maxRunningJobs + ", max_parameters=" + maxParameters);
    }
  }

  public static Quotas fromEnvironment(Map<String, String> env) {
    return new Quotas((int) number(env, "max_workers_per_job", DEFAULT.maxWorkersPerJob),
        (int) number(env, "max_running_jobs", DEFAULT.maxRunningJobs),
        number(env, "max_parameters", DEFAULT.maxParameters));
  }

  private static long number(Map<String, String> env, String name, long fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("environment: " + name + "=" + v + " is not a whole number");
    }
  }

  /** What a new job's config asks for past these limits, each naming the limit. */
  public List<String> problems(TrainingConfig config, long parameters) {
    List<String> p = new ArrayList<>();
    if (config.workers() > maxWorkersPerJob) {
      p.add("workers: " + config.workers() + " is past this installation's limit of " + maxWorkersPerJob
          + " workers per job (max_workers_per_job)");
    }
    if (parameters > maxParameters) {
      p.add("network: " + config.networkName() + " has " + parameters + " parameters, past this installation's "
          + "limit of " + maxParameters + " (max_parameters)");
    }
    return p;
  }

  /** Why no job may start while {@code running} jobs run, or empty. */
  public Optional<String> refuseAnother(int running) {
    return running < maxRunningJobs ? Optional.empty() : Optional.of(running + (running == 1 ? " job is" : " jobs are")
        + " running, this installation's limit (max_running_jobs=" + maxRunningJobs + "): cancel one or wait for one to end");
  }
}
