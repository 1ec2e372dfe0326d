package dev.emnistfaas.faas;

import com.fasterxml.jackson.databind.JsonNode;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import dev.emnistfaas.ps.StoreException;
import dev.emnistfaas.train.PodWarmUp;
import dev.emnistfaas.train.DownpourWorker;
import dev.emnistfaas.train.TrainingConfig;
import dev.emnistfaas.train.WorkerPosition;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * emnist-train: one slice of one worker ({@code {"job": ID, "worker": i, "slice": n}}). When the worker is not
 * finished, the slice queues the next one with an asynchronous call of itself, so no call runs longer than a
 * slice. Only signed calls are taken ({@link SignedCalls}). Answers: 200 (ran), 400 (bad body or worker), 413
 * (a body over {@value #MAX_BODY_CHARS} characters), 403
 * (unsigned, forged, altered or expired), 404 (no such job), 409 (another live call runs this worker, or the slice
 * already ran: a redelivered or replayed call), 503 (Redis unreachable, or the slice lost its lease: worth retrying), 500 (a failure
 * of ours; logged with its stack trace).
 */
public final class TrainFunction {
  public static final String NAME = "emnist-train";
  /** A call's body is about 150 characters; anything much larger is not a call, and is not read. */
  static final int MAX_BODY_CHARS = 4096;

  private final FunctionRuntime runtime;
  private final String host;
  private final PrintStream log;
  /** The pod's warm-up, which every call waits for; complete when there is none. */
  private final CompletableFuture<Void> warm;

  public TrainFunction(FunctionRuntime runtime, String host) {
    this(runtime, host, System.err, CompletableFuture.completedFuture(null));
  }

  /** A function whose calls wait for {@code warm} (see {@link #warmUpInBackground}) before they train. */
  public TrainFunction(FunctionRuntime runtime, String host, PrintStream log, CompletableFuture<Void> warm) {
    this.runtime = runtime;
    this.host = host;
    this.log = log;
    this.warm = warm;
  }

  /**
   * Warms the pod up on a thread of its own (see {@link PodWarmUp}: the default data set, ND4J, and the JIT of
   * the training step), so that a pod started before a job arrives trains its first slice at full speed. A call
   * that arrives meanwhile waits for the warm-up instead of competing with it for the CPU. A failed warm-up (the
   * data cannot be loaded, say) is logged with its cause, fails the returned future (the pod never becomes ready,
   * see {@link PodReadiness}), and every call is answered 503 with that cause. It needs no Redis, so a pod starts
   * it before connecting; {@code afterFirstStep} runs once the first training step has (a pod connects then, off
   * the cold start's critical path).
   */
  public static CompletableFuture<Void> warmUpInBackground(TrainingConfig defaults, PrintStream log,
      Runnable afterFirstStep) {
    return CompletableFuture.runAsync(() -> {
      try {
        PodWarmUp.Summary s = PodWarmUp.run(defaults, afterFirstStep);
        log.printf("%s: first training step %.2f s after the JVM started; warm: data and ND4J in %.1f s (%s), "
            + "training step compiled in %.1f s (%.0f samples/s)%n", NAME, s.firstStepUptime(), s.loadSeconds(),
            defaults.dataDir(), s.jitSeconds(), s.samplesPerSecond());
      } catch (RuntimeException e) {
        synchronized (log) {
          log.println(NAME + ": warming up on " + defaults.dataDir() + " failed: " + e);
          e.printStackTrace(log);
        }
        throw e;
      }
    }, r -> {
      Thread t = new Thread(r, "emnist-warm-up");
      t.setDaemon(true);
      t.start();
    });
  }

  /** The body of a call of slice {@code slice} of a worker, with its signature. */
  static String body(String job, int worker, int slice, SignedCalls.Signature signature) {
    return JsonResponse.JSON.createObjectNode().put("job", job).put("worker", worker).put("slice", slice)
        .put("issued", signature.issued()).put("nonce", signature.nonce()).put("signature", signature.mac())
        .toString();
  }

  /**
   * Queues slice {@code slice} of a worker through the gateway, signed, with a signed callback to emnist-setup that
   * queues it again should the platform drop it (429 from a busy pod, 5xx); the job's records note the call first
   * (DownpourJobs.callQueued), so that its loss can be told even when that callback is lost too.
   */
  static void invoke(FunctionRuntime runtime, String job, int worker, int slice) {
    SignedCalls calls = runtime.settings().calls();
    SignedCalls.Signature back = calls.sign(new SignedCalls.Subject(SignedCalls.Kind.CALLBACK, job, worker, slice));
    URI callback = URI.create(runtime.settings().gateway() + "/function/" + SetupFunction.NAME + "?callback=1&job="
        + job + "&worker=" + worker + "&slice=" + slice + "&" + back.query());
    SignedCalls.Signature call = calls.sign(new SignedCalls.Subject(SignedCalls.Kind.TRAIN_CALL, job, worker, slice));
    runtime.jobs().callQueued(job, worker, slice, call.issued());
    runtime.gateway().invokeAsync(NAME, body(job, worker, slice, call), Optional.of(callback));
  }

  /** A call's body, read: what it asks for and its signature (null parts where missing). */
  private record Call(String job, int worker, int slice, String issued, String nonce, String signature) {
    static Optional<Call> parse(String body) {
      try {
        JsonNode n = JsonResponse.JSON.readTree(body == null ? "" : body);
        if (n == null || !n.path("job").isTextual() || !n.path("worker").isIntegralNumber()
            || !n.path("slice").isIntegralNumber()) {
          return Optional.empty();
        }
        return Optional.of(new Call(n.get("job").asText(), n.get("worker").asInt(), n.get("slice").asInt(),
            n.path("issued").isIntegralNumber() ? n.get("issued").asText() : null, text(n, "nonce"),
            text(n, "signature")));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    private static String text(JsonNode n, String field) {
      return n.path(field).isTextual() ? n.get(field).asText() : null;
    }

    SignedCalls.Subject subject() {
      return new SignedCalls.Subject(SignedCalls.Kind.TRAIN_CALL, job, worker, slice);
    }

    @Override
    public String toString() {
      return "job " + job + " worker " + worker + " slice " + slice;
    }
  }

  /**
   * The answer to {@code request}; whatever escapes (an Error such as missing native libraries or memory) is
   * answered 500 with its cause and logged, never an empty 500 (see {@link JsonResponse#guarded}).
   */
  public IResponse handle(IRequest request) {
    return JsonResponse.guarded(log, NAME, request, () -> answer(request));
  }

  private IResponse answer(IRequest request) {
    if (request.getBody() != null && request.getBody().length() > MAX_BODY_CHARS) {
      return JsonResponse.error(log, NAME, "a call", 413, "body has " + request.getBody().length()
          + " characters; a call is at most " + MAX_BODY_CHARS);
    }
    Optional<Call> parsed = Call.parse(request.getBody());
    if (parsed.isEmpty()) {
      return JsonResponse.error(log, NAME, "a call", 400,
          "body must be {\"job\": \"<id>\", \"worker\": <index>, \"slice\": <number>, \"issued\": <seconds>, "
          + "\"nonce\": \"<hex>\", \"signature\": \"<hex>\"}, got: " + abbreviate(request.getBody()));
    }
    Call call = parsed.get();
    Optional<Refusal> refusal = runtime.settings().calls().refuse(call.subject(), call.issued(), call.nonce(),
        call.signature());
    if (refusal.isPresent()) {
      return JsonResponse.refused(log, NAME, call.toString(), refusal.get());
    }
    try {
      // Before anything else: a call queued after this one can only begin after it (DownpourJobs.recoverStalled).
      runtime.jobs().callBegun(call.job(), call.worker(), call.slice(), Long.parseLong(call.issued()));
    } catch (StoreException e) {
      return JsonResponse.failure(log, NAME, call.toString(), 503, e);
    }
    try {
      warm.join();
    } catch (java.util.concurrent.CompletionException e) {
      return JsonResponse.error(log, NAME, call.toString(), 503, "this pod could not prepare (" + e.getCause()
          + "); it is not ready and should not have been called");
    }
    try {
      DownpourWorker w = new DownpourWorker(runtime.jobs().parameters(call.job()), runtime.jobs().jobStore(),
          call.job(), call.worker(), host, log);
      DownpourWorker.SliceOutcome outcome = w.runSlice(call.slice());
      WorkerPosition p = outcome.position();
      switch (outcome.status()) {
        case BUSY:
          return JsonResponse.error(log, NAME, call.toString(), 409, "worker " + call.worker() + " of job "
              + call.job() + " is running in another call");
        case CONTINUE:
          invoke(runtime, call.job(), call.worker(), p.slices() + 1);
          runtime.jobs().recoverStalled(call.job(), (j, wk, s) -> invoke(runtime, j, wk, s));
          break;
        case FINISHED:
          runtime.jobs().recoverStalled(call.job(), (j, wk, s) -> invoke(runtime, j, wk, s));
          break;
        case STALE:
          return JsonResponse.error(log, NAME, call.toString(), 409, "slice " + call.slice() + " of worker "
              + call.worker() + " of job " + call.job() + " already ran, or the worker is done: a redelivered "
              + "or replayed call, nothing to do");
      }
      return JsonResponse.of(200, JsonResponse.JSON.createObjectNode().put("job", call.job())
          .put("worker", call.worker()).put("status", outcome.status().name().toLowerCase(Locale.ROOT))
          .put("epoch", p.epoch()).put("steps", p.steps()).put("slices", p.slices())
          .put("samplesPerSecond", p.samplesPerSecond()));
    } catch (StoreException.NoSuchJob e) {
      // The job was deleted, expired, or Redis lost its data: nothing to resume, and no next slice.
      return JsonResponse.error(log, NAME, call.toString(), 404, e.getMessage() + "; the worker stops");
    } catch (DownpourWorker.NoSuchWorker e) {
      return JsonResponse.error(log, NAME, call.toString(), 400, e.getMessage());
    } catch (DownpourWorker.SliceAbandoned e) {
      return JsonResponse.error(log, NAME, call.toString(), 503, e.getMessage());
    } catch (StoreException e) {
      return JsonResponse.failure(log, NAME, call.toString(), 503, e);
    } catch (RuntimeException e) {
      return JsonResponse.failure(log, NAME, call.toString(), 500, e);
    }
  }

  static String abbreviate(String body) {
    if (body == null) {
      return "nothing";
    }
    return body.length() <= 200 ? "'" + body + "'" : "'" + body.substring(0, 200) + "…' (" + body.length() + " chars)";
  }
}
