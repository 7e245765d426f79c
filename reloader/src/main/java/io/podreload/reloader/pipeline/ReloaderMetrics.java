package io.podreload.reloader.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.source.ReloadOutcome;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipeline's meters, named as docs/operations.md lists them: {@code reloader_reloads_total},
 * {@code reloader_reload_latency_seconds}, {@code reloader_signals_total}, {@code
 * reloader_signal_errors_total}, {@code reloader_validation_failures_total}, {@code
 * reloader_last_success_timestamp_seconds}, {@code reloader_watch_events_total}, {@code
 * reloader_target_pid}.
 */
public final class ReloaderMetrics {

  private final MeterRegistry registry;
  private final Map<ReloadOutcome.Result, Counter> reloads =
      new EnumMap<>(ReloadOutcome.Result.class);
  private final Map<TriggerException.Reason, Counter> signalErrors =
      new EnumMap<>(TriggerException.Reason.class);
  private final Map<String, Counter> watchEvents = new ConcurrentHashMap<>();
  private final Timer latency;
  private final Counter signals;
  private final Counter validationFailures;
  private final AtomicLong lastSuccess = new AtomicLong();
  private final AtomicLong targetPid = new AtomicLong();

  public ReloaderMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (ReloadOutcome.Result result : ReloadOutcome.Result.values()) {
      reloads.put(
          result,
          Counter.builder("reloader.reloads")
              .description("Reloads by how they ended")
              .tag("result", result.name().toLowerCase(java.util.Locale.ROOT))
              .register(registry));
    }
    for (TriggerException.Reason reason : TriggerException.Reason.values()) {
      signalErrors.put(
          reason,
          Counter.builder("reloader.signal.errors")
              .description("Signals that could not be sent, by reason")
              .tag("reason", reason.label())
              .register(registry));
    }
    latency =
        Timer.builder("reloader.reload.latency")
            .description("From a change seen to the app's acknowledgement")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry);
    signals = Counter.builder("reloader.signals").description("Signals sent").register(registry);
    validationFailures =
        Counter.builder("reloader.validation.failures")
            .description("Changes not signalled because a file does not parse")
            .register(registry);
    Gauge.builder("reloader.last.success.timestamp", lastSuccess, AtomicLong::get)
        .description("When a reload was last applied, in seconds since the epoch")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("reloader.target.pid", targetPid, AtomicLong::get)
        .description("The pid of the app in the pod's PID namespace (0 when none is found)")
        .register(registry);
  }

  void reload(ReloadOutcome.Result result) {
    reloads.get(result).increment();
    if (result == ReloadOutcome.Result.APPLIED) {
      lastSuccess.set(System.currentTimeMillis() / 1000);
    }
  }

  void latency(Duration duration) {
    latency.record(duration);
  }

  void signalSent(int count) {
    signals.increment(count);
  }

  void signalError(TriggerException.Reason reason) {
    signalErrors.get(reason).increment();
  }

  void validationFailure() {
    validationFailures.increment();
  }

  void watchEvent(String source) {
    watchEvents
        .computeIfAbsent(
            source,
            s ->
                Counter.builder("reloader.watch.events")
                    .description("Changes reported by each source")
                    .tag("source", s)
                    .register(registry))
        .increment();
  }

  void targetPid(long pid) {
    targetPid.set(pid);
  }

  /** For tests and the latency benchmark: the recorded latency summary. */
  public Timer latencyTimer() {
    return latency;
  }
}
