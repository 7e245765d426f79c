package io.podreload.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How long something has been failing, and whether to say so. A failure starts the clock; only a
 * real success ({@link #succeeded()}) stops it, so a connection that opens and then fails every
 * time stays failing. It is degraded once it has failed for longer than {@code degradedAfter}.
 * {@link #failed} answers whether the failure is news worth a log line (the first one, or a
 * different message), so that a loop retrying every second logs once, not every second.
 * Thread-safe: the loop records, the health endpoint reads.
 */
public final class FailureClock {
  private final Duration degradedAfter;
  private final Clock clock;
  private Instant failingSince;
  private String lastProblem;

  public FailureClock(Duration degradedAfter, Clock clock) {
    this.degradedAfter = degradedAfter;
    this.clock = clock;
  }

  /**
   * Records a failure.
   *
   * @return true when this is worth logging: the first failure since the last success, or a problem
   *     different from the last one
   */
  public synchronized boolean failed(String problem) {
    boolean news = failingSince == null || !problem.equals(lastProblem);
    if (failingSince == null) {
      failingSince = clock.instant();
    }
    lastProblem = problem;
    return news;
  }

  /**
   * Records a success.
   *
   * @return how long it had been failing, when it was (worth a "recovered" line)
   */
  public synchronized Optional<Duration> succeeded() {
    if (failingSince == null) {
      return Optional.empty();
    }
    Duration failed = Duration.between(failingSince, clock.instant());
    failingSince = null;
    lastProblem = null;
    return Optional.of(failed);
  }

  public synchronized boolean failing() {
    return failingSince != null;
  }

  /** Failing for longer than degraded-after. */
  public synchronized boolean degraded() {
    return failingSince != null
        && Duration.between(failingSince, clock.instant()).compareTo(degradedAfter) > 0;
  }

  /** When degraded: what fails and for how long, as {@code /health} shows it. */
  public synchronized Optional<String> problem() {
    if (!degraded()) {
      return Optional.empty();
    }
    long seconds = Duration.between(failingSince, clock.instant()).toSeconds();
    return Optional.of("failing for " + seconds + " s: " + lastProblem);
  }

  /** The last problem while failing, degraded or not. */
  public synchronized Optional<String> lastProblem() {
    return Optional.ofNullable(lastProblem);
  }

  public Duration degradedAfter() {
    return degradedAfter;
  }
}
