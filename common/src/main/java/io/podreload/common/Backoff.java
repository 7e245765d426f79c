package io.podreload.common;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter in the upper half: waits grow from {@code first} by doubling
 * up to {@code max}; each wait is drawn from [half, whole] of the current step, so that replicas
 * that failed together do not retry together. {@link #reset()} after a success. Not thread-safe:
 * one backoff belongs to one loop.
 */
public final class Backoff {
  private final Duration first;
  private final Duration max;
  private final DoubleSupplier random;
  private Duration step;

  public Backoff(Duration first, Duration max) {
    this(first, max, () -> ThreadLocalRandom.current().nextDouble());
  }

  /** {@code random} gives values in [0, 1); tests pass a constant. */
  public Backoff(Duration first, Duration max, DoubleSupplier random) {
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < first <= max, not first=" + first + " max=" + max);
    }
    this.first = first;
    this.max = max;
    this.random = random;
  }

  /** The wait before the next attempt; each call doubles the step, up to the maximum. */
  public Duration next() {
    step = step == null ? first : min(step.multipliedBy(2), max);
    long whole = step.toMillis();
    long half = whole / 2;
    return Duration.ofMillis(half + (long) (random.getAsDouble() * (whole - half + 1)));
  }

  /** The current step without jitter (what the next wait is drawn from), or zero after a reset. */
  public Duration step() {
    return step == null ? Duration.ZERO : step;
  }

  /** Back to the first step: the last attempt succeeded. */
  public void reset() {
    step = null;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
