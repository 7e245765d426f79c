package io.podreload.reloader.pipeline;

import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.ReloadOutcome.Result;
import io.podreload.reloader.source.SourceChange;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * Reports how a batch's reload ended: in the metrics (with the reload's lag, when the app answered)
 * and to the source of each change (Kubernetes Events).
 */
final class Outcomes {

  private final ReloaderMetrics metrics;
  private final BiConsumer<SourceChange, ReloadOutcome> sources;
  private final Clock clock;

  Outcomes(ReloaderMetrics metrics, BiConsumer<SourceChange, ReloadOutcome> sources, Clock clock) {
    this.metrics = metrics;
    this.sources = sources;
    this.clock = clock;
  }

  void report(Batch batch, ReloadOutcome outcome) {
    metrics.reload(outcome.result());
    if (outcome.result() == Result.APPLIED || outcome.result() == Result.REJECTED) {
      metrics.latency(sinceSeen(batch)); // the app answered: the reload's lag
    }
    batch.changes().forEach(change -> sources.accept(change, outcome));
  }

  /** From when the batch's oldest change was seen until now. */
  Duration sinceSeen(Batch batch) {
    return Duration.between(batch.seenAt(), clock.instant());
  }
}
