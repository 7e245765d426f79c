package io.podreload.reloader.pipeline;

import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.ReloadOutcome.Result;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.AppTarget;
import io.podreload.reloader.target.AppTarget.Answer;
import io.podreload.reloader.target.AppTarget.Attempt;
import io.podreload.reloader.target.AppTarget.Readiness;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile step for a batch of changes, in two halves. {@link #trigger} is the path to the
 * reload: validate the latest content of every dir, skip what the app already reports, wait while
 * it is starting, and ask the {@link AppTarget} to reload. {@link #confirm} waits for the app's
 * answer and turns it into an {@link ReloadOutcome}. A batch that could not be applied goes back to
 * the {@link ChangeQueue} to be retried. Used by one thread at a time (the {@link ReloadPipeline}
 * sees to it); health reads its volatile state.
 */
public final class Reconciler {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final Duration STARTING_POLL = Duration.ofMillis(100);

  private final ReloaderSettings settings;
  private final AppTarget target;
  private final ChangeQueue queue;
  private final ReloaderMetrics metrics;
  private final BiConsumer<SourceChange, ReloadOutcome> outcomes;
  private final Clock clock;
  private final ConfigValidator validator;
  private TriggerException.Reason lastTriggerError;
  private Instant startingSince;
  private boolean startingReported;

  private volatile Instant targetMissingSince;
  private volatile String invalidConfig;
  private volatile String lastFailure;

  /** A reload asked of the app, whose answer is still to come. */
  record Triggered(Batch batch, Map<String, String> expected, Attempt attempt) {}

  Reconciler(
      ReloaderSettings settings,
      AppTarget target,
      ChangeQueue queue,
      ReloaderMetrics metrics,
      BiConsumer<SourceChange, ReloadOutcome> outcomes,
      Clock clock) {
    this.settings = settings;
    this.target = target;
    this.queue = queue;
    this.metrics = metrics;
    this.outcomes = outcomes;
    this.clock = clock;
    this.validator = new ConfigValidator(settings.secretDirs());
  }

  /** The path to the reload; returns the reload to confirm, when the app was asked for one. */
  Optional<Triggered> trigger(Batch batch) {
    invalidConfig = validator.problem(batch.changes()).orElse(null);
    if (invalidConfig != null) {
      metrics.validationFailure();
      LOG.warn("not reloading the app: {}; it keeps its last good config", invalidConfig);
      finish(batch, new ReloadOutcome(Result.INVALID, invalidConfig));
      return Optional.empty();
    }
    Map<String, String> expected = batch.expected();
    Optional<Answer> serving = target.serving(expected);
    if (serving.isPresent()) {
      LOG.info("the app ({}) already loaded this content", serving.get().who());
      answered(batch, serving.get());
      return Optional.empty();
    }
    Readiness readiness = target.readiness();
    if (!readiness.ready()) {
      starting(readiness);
      queue.retryAfter(batch.changes(), STARTING_POLL);
      return Optional.empty();
    }
    startingSince = null;
    startingReported = false;
    try {
      Attempt attempt = target.trigger();
      targetMissingSince = null;
      lastTriggerError = null;
      metrics.targetPid(attempt.pid());
      if (settings.dryRun()) {
        return Optional.empty(); // nothing to wait for: the app was not asked
      }
      metrics.signalSent(attempt.asked());
      return Optional.of(new Triggered(batch, expected, attempt));
    } catch (TriggerException e) {
      triggerFailed(batch, e);
      return Optional.empty();
    }
  }

  /** Waits for the app's answer to a reload that {@link #trigger} asked for, and reports it. */
  void confirm(Triggered reload) {
    LOG.debug("asked {} to reload {}", reload.attempt().who(), reload.batch());
    Map<String, String> expected = reload.expected();
    Answer answer =
        target.confirm(
            reload.attempt(), expected, () -> expected.keySet().stream().anyMatch(queue::hasNewer));
    answered(reload.batch(), answer);
  }

  /** On an idle tick: keeps {@code reloader_target_pid} and the missing-target clock current. */
  void idle() {
    Optional<Long> found = target.find();
    metrics.targetPid(found.orElse(0L));
    if (found.isPresent()) {
      targetMissingSince = null;
    } else if (targetMissingSince == null) {
      targetMissingSince = clock.instant();
    }
  }

  private void answered(Batch batch, Answer answer) {
    switch (answer.result()) {
      case SUPERSEDED -> LOG.debug("the app loaded newer content than {}", batch);
      case UNANSWERED -> {
        lastFailure = answer.message();
        LOG.warn(answer.message());
        finish(batch, new ReloadOutcome(Result.SIGNAL_FAILED, answer.message()));
        queue.retryLater(batch.changes());
      }
      case APPLIED -> {
        answeredNow();
        LOG.info(
            "reload applied: {} ({}) in {} ms", batch, answer.who(), sinceSeen(batch).toMillis());
        finish(batch, new ReloadOutcome(Result.APPLIED, null));
      }
      case REJECTED -> {
        answeredNow();
        LOG.warn(
            "reload rejected by the app ({}), which keeps its last good config: {}",
            answer.who(),
            answer.message());
        finish(batch, new ReloadOutcome(Result.REJECTED, answer.message()));
      }
    }
  }

  private void answeredNow() {
    queue.answered();
    lastFailure = null;
  }

  private void starting(Readiness readiness) {
    Instant now = clock.instant();
    if (startingSince == null) {
      LOG.info("the app is starting; waiting for its first acknowledgement");
      startingSince = now;
    } else if (!startingReported && startingSince.plus(settings.confirmTimeout()).isBefore(now)) {
      lastFailure = readiness.why();
      LOG.warn(lastFailure);
      startingReported = true;
    }
  }

  private void triggerFailed(Batch batch, TriggerException e) {
    if (e.reason() == TriggerException.Reason.NO_TARGET && targetMissingSince == null) {
      targetMissingSince = clock.instant();
    }
    metrics.signalError(e.reason());
    metrics.targetPid(0);
    lastFailure = e.getMessage();
    if (e.reason() != lastTriggerError) { // one line per kind of trouble, not one per retry
      LOG.warn("cannot reload the app, will retry: {}", e.getMessage());
      lastTriggerError = e.reason();
      finish(batch, new ReloadOutcome(Result.SIGNAL_FAILED, e.getMessage()));
    }
    queue.retryLater(batch.changes());
  }

  private void finish(Batch batch, ReloadOutcome outcome) {
    metrics.reload(outcome.result());
    if (outcome.result() == Result.APPLIED || outcome.result() == Result.REJECTED) {
      metrics.latency(sinceSeen(batch)); // the app answered: the reload's lag
    }
    batch.changes().forEach(change -> outcomes.accept(change, outcome));
  }

  private Duration sinceSeen(Batch batch) {
    return Duration.between(batch.seenAt(), clock.instant());
  }

  /** Records a failure the step itself could not turn into an outcome (an Error, say). */
  void failedUnexpectedly(Batch batch, Throwable e) {
    lastFailure = "reload failed unexpectedly: " + e.getClass().getName();
    queue.retryLater(batch.changes());
  }

  /** Why the app may be running stale config, if it may: for {@code /health}. */
  Optional<String> problem() {
    Instant since = targetMissingSince;
    if (since == null || !since.plus(settings.targetMissingAfter()).isBefore(clock.instant())) {
      return Optional.empty();
    }
    return Optional.of(
        "the app has been missing since " + since + ": " + Objects.toString(lastFailure, ""));
  }

  Optional<String> invalidConfig() {
    return Optional.ofNullable(invalidConfig);
  }

  Optional<String> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }
}
