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
 * slice. Answers: 200 (ran, or nothing to do), 400 (bad body or worker), 404 (no such job), 409 (another live
 * call runs this worker), 503 (Redis unreachable, or the slice lost its lease: worth retrying), 500 (a failure
 * of ours; logged with its stack trace).
 */
public final class TrainFunction {
  public static final String NAME = "emnist-train";

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

  static String body(String job, int worker, int slice) {
    return JsonResponse.JSON.createObjectNode().put("job", job).put("worker", worker).put("slice", slice).toString();
  }

  /**
   * Queues slice {@code slice} of a worker through the gateway, with a callback to emnist-setup that queues it
   * again should the platform drop it (429 from a busy pod, 5xx).
   */
  static void invoke(FunctionRuntime runtime, String job, int worker, int slice) {
    URI callback = URI.create(runtime.settings().gateway() + "/function/" + SetupFunction.NAME + "?callback=1&job="
        + job + "&worker=" + worker + "&slice=" + slice);
    runtime.gateway().invokeAsync(NAME, body(job, worker, slice), Optional.of(callback));
  }

  /** A call's body, read. */
  private record Call(String job, int worker, int slice) {
    static Optional<Call> parse(String body) {
      try {
        JsonNode n = JsonResponse.JSON.readTree(body == null ? "" : body);
        if (n == null || !n.path("job").isTextual() || !n.path("worker").isIntegralNumber()
            || !(n.path("slice").isMissingNode() || n.path("slice").isIntegralNumber())) {
          return Optional.empty();
        }
        return Optional.of(new Call(n.get("job").asText(), n.get("worker").asInt(), n.path("slice").asInt(0)));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    @Override
    public String toString() {
      return "job " + job + " worker " + worker + " slice " + slice;
    }
  }

  public IResponse handle(IRequest request) {
    Optional<Call> parsed = Call.parse(request.getBody());
    if (parsed.isEmpty()) {
      return JsonResponse.error(log, NAME, "a call", 400,
          "body must be {\"job\": \"<id>\", \"worker\": <index>, \"slice\": <number>}, got: " + abbreviate(request.getBody()));
    }
    Call call = parsed.get();
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
          break;
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
