package io.podreload.reloader.pipeline;

import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.ReloadOutcome.Result;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.AppTarget.Answer;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports how a batch's reload ended: in the log, in the metrics (with the reload's lag, when the
 * app answered) and to the source of each change (Kubernetes Events).
 */
final class Outcomes {

  // The reconciler's log: its lines keep the logger operators know them by.
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  private final ReloaderMetrics metrics;
  private final BiConsumer<SourceChange, ReloadOutcome> sources;
  private final Clock clock;

  Outcomes(ReloaderMetrics metrics, BiConsumer<SourceChange, ReloadOutcome> sources, Clock clock) {
    this.metrics = metrics;
    this.sources = sources;
    this.clock = clock;
  }

  /** The batch's content does not parse: the app was not asked, and keeps its last good config. */
  void invalid(Batch batch, String problem) {
    metrics.validationFailure();
    LOG.warn("not reloading the app: {}; it keeps its last good config", problem);
    report(batch, new ReloadOutcome(Result.INVALID, problem));
  }

  /** The app could not be asked to reload (the batch is retried). */
  void cannotReload(Batch batch, String why) {
    LOG.warn("cannot reload the app, will retry: {}", why);
    report(batch, new ReloadOutcome(Result.SIGNAL_FAILED, why));
  }

  /** The app's answer to the batch's reload, or its silence. */
  void answered(Batch batch, Answer answer) {
    switch (answer.result()) {
      case SUPERSEDED -> LOG.debug("the app loaded newer content than {}", batch);
      case UNANSWERED -> {
        LOG.warn(answer.message());
        report(batch, new ReloadOutcome(Result.SIGNAL_FAILED, answer.message()));
      }
      case APPLIED -> {
        LOG.info(
            "reload applied: {} ({}) in {} ms", batch, answer.who(), sinceSeen(batch).toMillis());
        report(batch, new ReloadOutcome(Result.APPLIED, null));
      }
      case REJECTED -> {
        LOG.warn(
            "reload rejected by the app ({}), which keeps its last good config: {}",
            answer.who(),
            answer.message());
        report(batch, new ReloadOutcome(Result.REJECTED, answer.message()));
      }
    }
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
