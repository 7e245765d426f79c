package io.podreload.reloader.pipeline;

import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.target.AppTarget.Readiness;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the reconciler has learnt about reaching the app, for {@code /health}: since when the app is
 * missing, the last failure to reload it (cleared by its next answer), and an app that stays
 * "starting" for longer than it may take to acknowledge. Updated by one thread at a time; health
 * reads the volatile fields.
 */
final class TargetHealth {

  private static final Logger LOG = LoggerFactory.getLogger(TargetHealth.class);

  private final Clock clock;
  private final Duration missingAfter;
  private final Duration startingFor;
  private TriggerException.Reason lastTriggerError;
  private Instant startingSince;
  private boolean startingReported;

  private volatile Instant missingSince;
  private volatile String lastFailure;

  /**
   * @param missingAfter how long the app may be missing before {@code /health} says so
   * @param startingFor how long the app may take to acknowledge its first load
   */
  TargetHealth(Clock clock, Duration missingAfter, Duration startingFor) {
    this.clock = clock;
    this.missingAfter = missingAfter;
    this.startingFor = startingFor;
  }

  /** Whether the app was found (on an idle tick). */
  void found(boolean found) {
    if (found) {
      missingSince = null;
    } else if (missingSince == null) {
      missingSince = clock.instant();
    }
  }

  /** The app is starting: logged once, and a failure once it takes longer than it may. */
  void starting(Readiness readiness) {
    Instant now = clock.instant();
    if (startingSince == null) {
      LOG.info("the app is starting; waiting for its first acknowledgement");
      startingSince = now;
    } else if (!startingReported && startingSince.plus(startingFor).isBefore(now)) {
      failed(readiness.why());
      LOG.warn(lastFailure);
      startingReported = true;
    }
  }

  /** The app was asked to reload. */
  void triggered() {
    startingSince = null;
    startingReported = false;
    missingSince = null;
    lastTriggerError = null;
  }

  /**
   * The app could not be asked to reload; returns whether this kind of trouble is new (reported
   * once, not once per retry).
   */
  boolean triggerFailed(TriggerException e) {
    startingSince = null;
    startingReported = false;
    if (e.reason() == TriggerException.Reason.NO_TARGET && missingSince == null) {
      missingSince = clock.instant();
    }
    failed(e.getMessage());
    if (e.reason() == lastTriggerError) {
      return false;
    }
    lastTriggerError = e.reason();
    return true;
  }

  void failed(String message) {
    lastFailure = message;
  }

  /** The app answered a reload. */
  void answered() {
    lastFailure = null;
  }

  /** Why the app may be running stale config, if it may. */
  Optional<String> problem() {
    Instant since = missingSince;
    if (since == null || !since.plus(missingAfter).isBefore(clock.instant())) {
      return Optional.empty();
    }
    return Optional.of(
        "the app has been missing since " + since + ": " + Objects.toString(lastFailure, ""));
  }

  Optional<String> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }
}
