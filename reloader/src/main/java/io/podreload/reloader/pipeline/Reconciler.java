package io.podreload.reloader.pipeline;

import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.AppTarget;
import io.podreload.reloader.target.AppTarget.Answer;
import io.podreload.reloader.target.AppTarget.Attempt;
import io.podreload.reloader.target.AppTarget.Readiness;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
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
 * sees to it); health reads its volatile state. What it learns about reaching the app is kept by
 * {@link TargetHealth}; {@link Outcomes} reports how each batch ended.
 */
public final class Reconciler {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final Duration STARTING_POLL = Duration.ofMillis(100);

  private final boolean dryRun;
  private final AppTarget target;
  private final ChangeQueue queue;
  private final ReloaderMetrics metrics;
  private final Outcomes outcomes;
  private final ConfigValidator validator;
  private final TargetHealth health;

  /** A reload asked of the app, whose answer is still to come. */
  record Triggered(Batch batch, Map<String, String> expected, Attempt attempt) {}

  Reconciler(
      ReloaderSettings settings,
      AppTarget target,
      ChangeQueue queue,
      ReloaderMetrics metrics,
      BiConsumer<SourceChange, ReloadOutcome> outcomes,
      Clock clock) {
    this.dryRun = settings.dryRun();
    this.target = target;
    this.queue = queue;
    this.metrics = metrics;
    this.outcomes = new Outcomes(metrics, outcomes, clock);
    this.validator = new ConfigValidator(settings.secretDirs());
    this.health = new TargetHealth(clock, settings.targetMissingAfter(), settings.confirmTimeout());
  }

  /** The path to the reload; returns the reload to confirm, when the app was asked for one. */
  Optional<Triggered> trigger(Batch batch) {
    Optional<String> invalid = validator.problem(batch.changes());
    if (invalid.isPresent()) {
      outcomes.invalid(batch, invalid.get());
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
      health.starting(readiness);
      queue.retryAfter(batch.changes(), STARTING_POLL);
      return Optional.empty();
    }
    try {
      Attempt attempt = target.trigger();
      health.triggered();
      metrics.targetPid(attempt.pid());
      if (dryRun) {
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
    health.found(found.isPresent());
  }

  /** The app's answer (or its silence): a retry when it did not answer, and how it ended. */
  private void answered(Batch batch, Answer answer) {
    switch (answer.result()) {
      case SUPERSEDED -> {} // the newer content's own reload follows
      case UNANSWERED -> {
        health.failed(answer.message());
        queue.retryLater(batch.changes());
      }
      case APPLIED, REJECTED -> {
        queue.answered();
        health.answered();
      }
    }
    outcomes.answered(batch, answer);
  }

  private void triggerFailed(Batch batch, TriggerException e) {
    metrics.signalError(e.reason());
    metrics.targetPid(0);
    if (health.triggerFailed(e)) { // one line per kind of trouble, not one per retry
      outcomes.cannotReload(batch, e.getMessage());
    }
    queue.retryLater(batch.changes());
  }

  /** Records a failure the step itself could not turn into an outcome (an Error, say). */
  void failedUnexpectedly(Batch batch, Throwable e) {
    health.failed("reload failed unexpectedly: " + e.getClass().getName());
    queue.retryLater(batch.changes());
  }

  /** Whether the app is missing, and the last failure to reload it: for {@code /health}. */
  TargetHealth health() {
    return health;
  }

  Optional<String> invalidConfig() {
    return validator.invalidConfig();
  }
}
