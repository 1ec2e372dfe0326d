package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.data.EmnistFormatException;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.train.DownpourJobs;
import dev.emnistfaas.train.TrainingConfig;
import dev.emnistfaas.ps.JobStore;
import dev.emnistfaas.train.JobStop;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * emnist-setup. With {@code ?job=ID}: that job's status (and stalled workers are re-invoked);
 * {@code ?job=ID&cancel=1}: stop the job. {@code ?callback=1&job=…&worker=…&slice=…&issued=…&nonce=…&signature=…}:
 * the queue-worker's callback for an emnist-train call, signed ({@link SignedCalls}: 403 when not); a slice dropped
 * by the platform (429 from a busy pod, 5xx) is queued again (the same callback again: 409), after a short backoff kept off the callback's own answer (the CE queue-worker waits for it).
 * With a body (a JSON object of config overrides, {@code {}} for the defaults): validate — every problem is
 * listed at once, 400, and nothing is written; over 64 KB, 413; past the installation's {@link Quotas}, 400 or
 * (too many jobs running) 429 — then write the initial parameters and the
 * config to Redis, start the M workers with asynchronous emnist-train calls, and answer 202 with the job id.
 * An empty body (a browser's GET) never starts a job: it answers how to start one and the newest jobs.
 * Creating and cancelling need the API token, reading needs it unless reads are public ({@link ApiAccess});
 * the pages themselves hold no data and are served to anyone. (The OpenFaaS Java entrypoint does not pass the HTTP method to handlers, so the query
 * decides.) A browser (Accept: text/html) gets pages instead of JSON: the list of jobs, and with {@code ?job=ID}
 * the live page of that job, which follows its JSON status every second.
 */
public final class SetupFunction implements AutoCloseable {
  public static final String NAME = "emnist-setup";
  /**
   * Failed (5xx) deliveries of one slice before the job is marked failed. With the backoff below (2 s at most)
   * that is about a minute of failures: long enough for pods that restart, or are not ready yet (no endpoint:
   * the gateway answers 5xx), to come back; a slice that fails for longer fails for good.
   */
  static final int MAX_FAILED_DELIVERIES = 40;
  /** The largest body a new job's config may have. */
  static final int MAX_BODY_BYTES = 64 * 1024;
  /** Attempts of one slice queued again without delay. */
  private static final int FREE_RETRIES = 3;
  /** How long a cancelled job's keys stay readable. */
  static final Duration KEEP_CANCELLED = Duration.ofHours(1);
  /** How long the delivery attempts of one slice are remembered. */
  private static final Duration KEEP_ATTEMPTS = Duration.ofHours(1);

  private final FunctionRuntime runtime;
  private final PrintStream log;
  /**
   * Queues slices again after a delay without holding the callback: the CE queue-worker posts each callback
   * synchronously and takes no other message until it is answered.
   */
  private final ScheduledExecutorService requeues = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "emnist-requeue");
    t.setDaemon(true);
    return t;
  });

  public SetupFunction(FunctionRuntime runtime) {
    this(runtime, System.err);
  }

  /** Looks after the unfinished jobs ({@link #lookAfterJobs}), on a thread of its own. */
  private final ScheduledExecutorService lookout = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "emnist-job-lookout");
    t.setDaemon(true);
    return t;
  });

  public SetupFunction(FunctionRuntime runtime, PrintStream log) {
    this.runtime = runtime;
    this.log = log;
  }

  /** Stops looking after jobs and queuing slices again (a local runtime that closes). */
  @Override
  public void close() {
    lookout.shutdownNow();
    requeues.shutdownNow();
  }

  /** How often a pod looks after the unfinished jobs ({@link #lookAfterJobs}): a worker's lease time. */
  public static final Duration LOOK_AFTER_EVERY = Duration.ofSeconds(5);

  /**
   * From now on, every {@code every}, re-invokes the workers of unfinished jobs whose call was lost or that stalled
   * (DownpourJobs.recoverUnfinished), so that a chain broken while nobody polls (a lost callback, say, when an
   * emnist-setup pod died) is found within about a lease's time. Every emnist-setup pod does this; a claim in
   * Redis keeps two pods from re-invoking the same worker. Failures are logged and the next round tries again.
   */
  public void lookAfterJobs(Duration every) {
    lookout.scheduleWithFixedDelay(() -> {
      try {
        runtime.jobs().recoverUnfinished((j, w, s) -> TrainFunction.invoke(runtime, j, w, s));
      } catch (StoreException e) {
        log.println(NAME + ": looking after the unfinished jobs needs Redis: " + e.getMessage() + "; next try in "
            + every.toSeconds() + " s");
      } catch (RuntimeException e) {
        synchronized (log) {
          log.println(NAME + ": looking after the unfinished jobs failed; next try in " + every.toSeconds()
              + " s: " + e);
          e.printStackTrace(log);
        }
      }
    }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The answer to {@code request}; whatever escapes (an Error such as missing native libraries or memory) is
   * answered 500 with its cause and logged, never an empty 500 (see {@link JsonResponse#guarded}).
   */
  public IResponse handle(IRequest request) {
    return JsonResponse.guarded(log, NAME, request, () -> answer(request));
  }

  private IResponse answer(IRequest request) {
    Map<String, String> query = request.getQuery() == null ? Map.of() : request.getQuery();
    String job = query.get("job");
    String what = query.containsKey("callback") ? "the callback for job " + job + " worker " + query.get("worker")
        + " slice " + query.get("slice")
        : job != null && query.containsKey("cancel") ? "cancelling job " + job
        : job != null ? "the status of job " + job : blank(request.getBody()) ? "the list of jobs" : "a new job";
    IResponse asset = WebPages.asset(query);
    if (asset != null) {
      return asset;
    }
    if (WebPages.browserAsked(request) && !query.containsKey("callback") && !query.containsKey("cancel")
        && blank(request.getBody())) {
      return (job != null ? WebPages.JOB : WebPages.JOBS).response();
    }
    try {
      if (query.containsKey("callback")) {
        return callback(request, query);
      }
      boolean changes = query.containsKey("cancel") || (job == null && !blank(request.getBody()));
      ApiAccess access = runtime.settings().access();
      Optional<Refusal> refusal = changes ? access.refuseChange(request) : access.refuseRead(request);
      if (refusal.isPresent()) {
        return JsonResponse.refused(log, NAME, what, refusal.get());
      }
      Optional<Refusal> unsigned = runtime.settings().calls().refuseWithoutKey();
      if (job == null && changes && unsigned.isPresent()) {
        return JsonResponse.refused(log, NAME, what, unsigned.get());
      }
      if (job != null && query.containsKey("cancel")) {
        runtime.jobs().cancel(job, KEEP_CANCELLED);
        log.println(NAME + ": job " + job + " cancelled by a caller with the API token");
        return status(job);
      }
      return job != null ? status(job) : create(request.getBody());
    } catch (StoreException.NoSuchJob e) {
      return JsonResponse.error(log, NAME, what, 404, e.getMessage());
    } catch (StoreException e) {
      return JsonResponse.failure(log, NAME, what, 503, e);
    } catch (RuntimeException e) {
      return JsonResponse.failure(log, NAME, what, 500, e);
    }
  }

  private IResponse status(String job) {
    return JsonResponse.of(200,
        runtime.jobs().recoverAndReport(job, (j, w, s) -> TrainFunction.invoke(runtime, j, w, s)));
  }

  /**
   * A finished async call of emnist-train: when the platform dropped it (429 from a busy pod, 5xx), queue the
   * worker's next unrun slice again after a short backoff, answering at once.
   */
  private IResponse callback(IRequest request, Map<String, String> query) {
    int status = parseInt(HttpHeaders.value(request.getHeaders(), "X-Function-Status"), 0);
    String callId = Optional.ofNullable(HttpHeaders.value(request.getHeaders(), "X-Call-Id"))
        .orElseGet(() -> UUID.randomUUID().toString());
    String job = query.get("job");
    int worker = parseInt(query.get("worker"), -1);
    int slice = parseInt(query.get("slice"), 0);
    String what = "the callback for job " + job + " worker " + worker + " slice " + slice;
    if (job == null || worker < 0 || slice < 1) {
      return JsonResponse.error(log, NAME, what, 400, "callback needs job, worker and slice in its query");
    }
    String nonce = query.get("nonce");
    Optional<Refusal> refusal = runtime.settings().calls().refuse(
        new SignedCalls.Subject(SignedCalls.Kind.CALLBACK, job, worker, slice), query.get("issued"), nonce,
        query.get("signature"));
    if (refusal.isPresent()) {
      return JsonResponse.refused(log, NAME, what, refusal.get());
    }
    // The CE queue-worker posts each callback once (a redelivered call posts one of its own, which may end the
    // other way); the same signed URL again, ending the same way, is somebody replaying it. Its status is the
    // queue-worker's header and cannot be signed: a URL counts once as a success and once as a failure.
    boolean dropped = status == 429 || status >= 500;
    if (!runtime.jobs().jobStore().claimOnce(job, "callback:" + nonce + (dropped ? ":dropped" : ":ended"),
        runtime.settings().jobTtl())) {
      return JsonResponse.error(log, NAME, what, 409, "this callback was used already (HTTP " + status + "): a "
          + "replayed callback changes nothing");
    }
    ObjectNode answer = JsonResponse.JSON.createObjectNode().put("status", status).put("requeued", false);
    if (!dropped) {
      return JsonResponse.of(200, answer);
    }
    Optional<Integer> next;
    try {
      next = runtime.jobs().sliceToRequeue(job, worker, slice);
    } catch (IllegalArgumentException e) {
      return JsonResponse.error(log, NAME, what, 400, e.getMessage());
    }
    if (next.isEmpty()) {
      return JsonResponse.of(200, answer);
    }
    JobStore store = runtime.jobs().jobStore();
    String attempts = worker + ":" + next.get();
    long attempt = store.recordAttempt(job, attempts, callId, KEEP_ATTEMPTS);
    if (status >= 500 && store.recordAttempt(job, attempts + ":failed", callId, KEEP_ATTEMPTS)
        > MAX_FAILED_DELIVERIES) {
      String error = "slice " + next.get() + " of worker " + worker + " failed " + MAX_FAILED_DELIVERIES
          + " times (last HTTP " + status + "); see the emnist-train pods' logs";
      log.println(NAME + ": job " + job + " failed: " + error);
      store.requestStop(job, JobStop.failed((System.currentTimeMillis() - store.createdMillis(job)) / 1000.0, error)
          .toJson());
      return JsonResponse.of(200, answer);
    }
    // A 429 mostly means random routing picked a busy pod while another is free: the first attempts go out at
    // once (measured on the real components: 25-100 ms delays cost 0.4-1 s at each slice boundary). Attempts
    // that keep failing mean every pod is busy: 25 ms doubling up to 2 s from the fourth on.
    long delay = attempt <= FREE_RETRIES ? 0 : Math.min(2000, 25L << Math.min(attempt - 1 - FREE_RETRIES, 7));
    store.countOnce(job, JobStore.Counter.REENQUEUED, callId);
    requeues.schedule(() -> requeue(job, worker, next.get()), delay, TimeUnit.MILLISECONDS);
    return JsonResponse.of(200, answer.put("requeued", true).put("slice", next.get()).put("delayMillis", delay));
  }

  private void requeue(String job, int worker, int slice) {
    try {
      TrainFunction.invoke(runtime, job, worker, slice);
    } catch (RuntimeException e) {
      synchronized (log) {
        log.println(NAME + ": could not queue slice " + slice + " of worker " + worker + " of job " + job
            + " again; the next status request or slice end recovers it: " + e);
        e.printStackTrace(log);
      }
    }
  }

  private static boolean blank(String body) {
    return body == null || body.isBlank();
  }

  private static int parseInt(String s, int fallback) {
    try {
      return s == null ? fallback : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /**
   * An empty body (what a browser's or a probe's GET sends): never a new job, but how to start one and the
   * newest jobs.
   */
  private IResponse usage() {
    ObjectNode out = JsonResponse.JSON.createObjectNode();
    ArrayNode usage = out.putArray("usage");
    String self = runtime.settings().gateway() + "/function/" + NAME;
    usage.add("start a job: POST a JSON object of config overrides to " + self + ", e.g. {\"workers\": 2}, or {} "
        + "for the defaults below");
    usage.add("follow a job: GET " + self + "?job=ID");
    usage.add("cancel a job: GET " + self + "?job=ID&cancel=1");
    usage.add("every call but the pages sends Authorization: Bearer TOKEN, TOKEN being the " + ApiAccess.TOKEN_SECRET
        + " secret" + (runtime.settings().access().reads() == ApiAccess.ReadAccess.PUBLIC
            ? " (reading is public here: only starting and cancelling need it)" : ""));
    out.set("jobs", runtime.jobs().list(20));
    out.set("defaults", JsonResponse.JSON.valueToTree(runtime.settings().defaults()));
    return JsonResponse.of(200, out);
  }

  private IResponse create(String body) {
    if (body == null || body.isBlank()) {
      return usage();
    }
    int bytes = body.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BODY_BYTES) {
      return JsonResponse.error(log, NAME, "a new job", 413, "body has " + bytes + " bytes; a config is at most "
          + MAX_BODY_BYTES + " bytes of JSON");
    }
    TrainingConfig.Overrides overrides = runtime.settings().defaults().readOverrides(body);
    TrainingConfig config = runtime.jobs().resolved(overrides.config());
    List<String> problems = new ArrayList<>(overrides.problems());
    problems.addAll(DownpourJobs.problems(config));
    Quotas quotas = runtime.settings().quotas();
    String job;
    try {
      if (problems.isEmpty()) {
        problems.addAll(quotas.problems(config, runtime.jobs().parameters(config)));
      }
      if (!problems.isEmpty()) {
        log.println(NAME + ": HTTP 400 for a new job: " + String.join("; ", problems));
        return JsonResponse.invalid(problems);
      }
      Optional<String> busy = quotas.refuseAnother(runtime.jobs().runningJobs());
      if (busy.isPresent()) {
        return JsonResponse.error(log, NAME, "a new job", 429, busy.get());
      }
      job = runtime.jobs().create(config);
    } catch (EmnistFormatException e) {
      return JsonResponse.invalid(List.of("dataDir: " + e.getMessage()));
    }
    for (int w = 0; w < config.workers(); w++) {
      TrainFunction.invoke(runtime, job, w, 1);
    }
    ObjectNode out = JsonResponse.JSON.createObjectNode()
        .put("job", job)
        .put("workers", config.workers())
        .put("status", runtime.settings().publicGateway() + "/function/" + NAME + "?job=" + job);
    out.set("config", JsonResponse.JSON.valueToTree(config));
    return JsonResponse.of(202, out);
  }
}
