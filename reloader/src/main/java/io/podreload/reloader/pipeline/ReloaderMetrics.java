package io.podreload.reloader.pipeline;

import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.source.ReloadOutcome;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipeline's meters, named as docs/operations.md lists them: {@code reloader_reloads_total},
 * {@code reloader_reload_latency_seconds}, {@code reloader_signals_total}, {@code
 * reloader_signal_errors_total}, {@code reloader_validation_failures_total}, {@code
 * reloader_last_success_timestamp_seconds}, {@code reloader_watch_events_total}, {@code
 * reloader_target_pid}.
 */
public final class ReloaderMetrics {

  private final PrometheusRegistry registry;
  private final Map<ReloadOutcome.Result, PrometheusRegistry.Counter> reloads =
      new EnumMap<>(ReloadOutcome.Result.class);
  private final Map<TriggerException.Reason, PrometheusRegistry.Counter> signalErrors =
      new EnumMap<>(TriggerException.Reason.class);
  private final PrometheusRegistry.Histogram latency;
  private final PrometheusRegistry.Counter signals;
  private final PrometheusRegistry.Counter validationFailures;
  private final AtomicLong lastSuccess = new AtomicLong();
  private final AtomicLong targetPid = new AtomicLong();

  public ReloaderMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    for (ReloadOutcome.Result result : ReloadOutcome.Result.values()) {
      reloads.put(
          result,
          registry.counter(
              "reloader_reloads",
              "Reloads by how they ended",
              "result",
              result.name().toLowerCase(Locale.ROOT)));
    }
    for (TriggerException.Reason reason : TriggerException.Reason.values()) {
      signalErrors.put(
          reason,
          registry.counter(
              "reloader_signal_errors",
              "Signals that could not be sent, by reason",
              "reason",
              reason.label()));
    }
    latency =
        registry.histogram(
            "reloader_reload_latency_seconds",
            "From a change seen to the app's acknowledgement",
            PrometheusRegistry.LATENCY_BUCKETS);
    signals = registry.counter("reloader_signals", "Signals sent");
    validationFailures =
        registry.counter(
            "reloader_validation_failures", "Changes not signalled because a file does not parse");
    registry.gauge(
        "reloader_last_success_timestamp_seconds",
        "When a reload was last applied, in seconds since the epoch",
        lastSuccess::get);
    registry.gauge(
        "reloader_target_pid",
        "The pid of the app in the pod's PID namespace (0 when none is found)",
        targetPid::get);
  }

  void reload(ReloadOutcome.Result result) {
    reloads.get(result).increment();
    if (result == ReloadOutcome.Result.APPLIED) {
      lastSuccess.set(System.currentTimeMillis() / 1000);
    }
  }

  void latency(Duration duration) {
    latency.observe(duration.toNanos() / 1e9);
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
    registry
        .counter("reloader_watch_events", "Changes reported by each source", "source", source)
        .increment();
  }

  void targetPid(long pid) {
    targetPid.set(pid);
  }
}
