package io.podreload.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A worker thread's sign of life for {@code /health/liveness}: the loop calls {@link #beat()} at
 * least once per {@code maxSilence} (also while it merely waits), and {@link #dead()} is set when
 * its thread ended. A thread stuck or gone is then seen, and the kubelet restarts the container.
 */
public final class Heartbeat {
  private final String name;
  private final Duration maxSilence;
  private final Clock clock;
  private volatile Instant last;
  private volatile String died;

  public Heartbeat(String name, Duration maxSilence, Clock clock) {
    this.name = name;
    this.maxSilence = maxSilence;
    this.clock = clock;
    this.last = clock.instant();
  }

  public String name() {
    return name;
  }

  public void beat() {
    last = clock.instant();
  }

  /** The thread ended and will not beat again: why. */
  public void dead(String why) {
    died = why;
  }

  /** Null when alive; otherwise why not. */
  public String problem() {
    if (died != null) {
      return "thread " + name + " ended: " + died;
    }
    Duration silent = Duration.between(last, clock.instant());
    if (silent.compareTo(maxSilence) > 0) {
      return "thread " + name + " silent for " + silent.toSeconds() + " s";
    }
    return null;
  }
}
