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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile step for a batch of changes: validate the latest content of every dir, skip what
 * the app already reports, wait while it is starting, reload it through the {@link AppTarget}, and
 * turn its answer into an {@link ReloadOutcome}. A batch that could not be applied goes back to the
 * {@link ChangeQueue} to be retried. Used by one thread at a time; health reads its volatile state.
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

  private final Map<String, SourceChange> latest = new LinkedHashMap<>();
  private TriggerException.Reason lastTriggerError;
  private Instant startingSince;
  private boolean startingReported;

  private volatile Instant targetMissingSince;
  private volatile String invalidConfig;
  private volatile String lastFailure;

  public Reconciler(
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

  public void reconcile(List<SourceChange> batch) {
    batch.forEach(change -> latest.put(change.snapshot().key(), change));
    invalidConfig = validator.problem(latest.values()).orElse(null);
    if (invalidConfig != null) {
      metrics.validationFailure();
      LOG.warn("not reloading the app: {}; it keeps its last good config", invalidConfig);
      finish(batch, new ReloadOutcome(Result.INVALID, invalidConfig), false);
      return;
    }
    Map<String, String> expected = expectedHashes(batch);
    Optional<Answer> serving = target.serving(expected);
    if (serving.isPresent()) {
      LOG.info("the app ({}) already loaded this content", serving.get().who());
      answered(batch, serving.get());
      return;
    }
    Readiness readiness = target.readiness();
    if (!readiness.ready()) {
      starting(readiness);
      queue.retryAfter(batch, STARTING_POLL);
      return;
    }
    startingSince = null;
    startingReported = false;

    Attempt attempt;
    try {
      attempt = target.trigger();
    } catch (TriggerException e) {
      triggerFailed(batch, e);
      return;
    }
    targetMissingSince = null;
    lastTriggerError = null;
    metrics.targetPid(attempt.pid());
    if (settings.dryRun()) {
      LOG.info("dry run: not waiting for the app to confirm");
      return;
    }
    metrics.signalSent(attempt.asked());
    LOG.debug("asked {} to reload {}", attempt.who(), describe(batch));
    answered(batch, target.confirm(attempt, expected, () -> anyNewer(expected)));
  }

  /** On an idle tick: keeps {@code reloader_target_pid} and the missing-target clock current. */
  public void idle() {
    Optional<Long> found = target.find();
    metrics.targetPid(found.orElse(0L));
    if (found.isPresent()) {
      targetMissingSince = null;
    } else if (targetMissingSince == null) {
      targetMissingSince = clock.instant();
    }
  }

  private void answered(List<SourceChange> batch, Answer answer) {
    switch (answer.result()) {
      case SUPERSEDED -> LOG.debug("the app loaded newer content than {}", describe(batch));
      case UNANSWERED -> {
        lastFailure = answer.message();
        LOG.warn(answer.message());
        finish(batch, new ReloadOutcome(Result.SIGNAL_FAILED, answer.message()), false);
        queue.retryLater(batch);
      }
      case APPLIED -> {
        succeeded();
        LOG.info(
            "reload applied: {} ({}) in {} ms",
            describe(batch),
            answer.who(),
            Duration.between(earliest(batch), clock.instant()).toMillis());
        finish(batch, new ReloadOutcome(Result.APPLIED, null), true);
      }
      case REJECTED -> {
        succeeded();
        LOG.warn(
            "reload rejected by the app ({}), which keeps its last good config: {}",
            answer.who(),
            answer.message());
        finish(batch, new ReloadOutcome(Result.REJECTED, answer.message()), true);
      }
    }
  }

  private void succeeded() {
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

  private void triggerFailed(List<SourceChange> batch, TriggerException e) {
    if (e.reason() == TriggerException.Reason.NO_TARGET && targetMissingSince == null) {
      targetMissingSince = clock.instant();
    }
    metrics.signalError(e.reason());
    metrics.targetPid(0);
    lastFailure = e.getMessage();
    if (e.reason() != lastTriggerError) { // one line per kind of trouble, not one per retry
      LOG.warn("cannot reload the app, will retry: {}", e.getMessage());
      lastTriggerError = e.reason();
      finish(batch, new ReloadOutcome(Result.SIGNAL_FAILED, e.getMessage()), false);
    }
    queue.retryLater(batch);
  }

  private void finish(List<SourceChange> batch, ReloadOutcome outcome, boolean answeredNow) {
    metrics.reload(outcome.result());
    if (answeredNow) {
      metrics.latency(Duration.between(earliest(batch), clock.instant()));
    }
    batch.forEach(change -> outcomes.accept(change, outcome));
  }

  private boolean anyNewer(Map<String, String> expected) {
    return expected.keySet().stream().anyMatch(queue::hasNewer);
  }

  /** Why the app may be running stale config, if it may: for {@code /health}. */
  public Optional<String> problem() {
    Instant since = targetMissingSince;
    if (since != null && since.plus(settings.targetMissingAfter()).isBefore(clock.instant())) {
      return Optional.of(
          "the app has been missing since "
              + since
              + ": "
              + Optional.ofNullable(lastFailure).orElse(""));
    }
    return Optional.empty();
  }

  public Optional<String> invalidConfig() {
    return Optional.ofNullable(invalidConfig);
  }

  public Optional<String> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }

  /** Records a failure the step itself could not turn into an outcome (an Error, say). */
  void failedUnexpectedly(List<SourceChange> batch, Throwable e) {
    lastFailure = "reload failed unexpectedly: " + e.getClass().getName();
    queue.retryLater(batch);
  }

  /** Each dir of the batch and the hash the app must report for it (null: it must be absent). */
  private static Map<String, String> expectedHashes(List<SourceChange> batch) {
    Map<String, String> expected = new LinkedHashMap<>();
    for (SourceChange c : batch) {
      expected.put(c.snapshot().key(), c.snapshot().present() ? c.snapshot().hash() : null);
    }
    return expected;
  }

  private static Instant earliest(List<SourceChange> batch) {
    return batch.stream().map(SourceChange::seenAt).min(Instant::compareTo).orElseThrow();
  }

  private static String describe(List<SourceChange> batch) {
    List<String> parts = new ArrayList<>();
    for (SourceChange c : batch) {
      String revision = c.revision() == null || c.revision().isEmpty() ? "" : " " + c.revision();
      parts.add(
          c.source() + " " + c.snapshot().dir() + " (" + c.snapshot().hash() + revision + ")");
    }
    return String.join(", ", parts);
  }
}
