package io.podreload.reloader.rollout;

import java.time.Duration;

/**
 * The knobs of a progressive rollout.
 *
 * @param bake how long the canary serves the new version before it may pass
 * @param maxErrorRate the largest share of 5xx answers over the bake that still passes (0.01 = 1%)
 * @param minRequests how many requests the bake must see before it can judge; fewer extend it
 * @param waveFraction the share of pods per wave after the canary (at least one pod per wave)
 * @param lease how long a holder's claim lasts without renewal before another pod may take it
 * @param claimWindow the claim slot per pod: a pod tries after its rank's share of this times the
 *     fleet's size (as last counted), so the first rank claims and the others see the claim instead
 *     of racing for it
 * @param waveTimeout how long a wave waits for a pod's acknowledgement before it counts the pod as
 *     gone (its record is removed; it catches up when it comes back)
 * @param maxCanaryAttempts canaries that may stop renewing before the version counts as failed
 */
public record RolloutPolicy(
    Duration bake,
    double maxErrorRate,
    long minRequests,
    double waveFraction,
    Duration lease,
    Duration claimWindow,
    Duration waveTimeout,
    int maxCanaryAttempts) {

  public static final Duration DEFAULT_BAKE = Duration.ofSeconds(30);
  public static final double DEFAULT_MAX_ERROR_RATE = 0.01;
  public static final long DEFAULT_MIN_REQUESTS = 20;
  public static final double DEFAULT_WAVE = 0.25;

  public RolloutPolicy {
    if (bake.isNegative()) {
      throw new IllegalArgumentException("the bake must not be negative: " + bake);
    }
    if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
      throw new IllegalArgumentException(
          "the maximal error rate is a share between 0 and 1 (0.01 = 1%): " + maxErrorRate);
    }
    if (!(waveFraction > 0 && waveFraction <= 1)) {
      throw new IllegalArgumentException(
          "the wave is a share of the pods above 0 and at most 1 (0.25 = 25%): " + waveFraction);
    }
    if (lease.isZero() || lease.isNegative() || maxCanaryAttempts < 1 || minRequests < 0) {
      throw new IllegalArgumentException(
          "the lease must be positive, canary attempts at least 1, minimal requests at least 0");
    }
  }

  /** The defaults: 30 s bake, 1% errors over at least 20 requests, waves of 25%, 15 s lease. */
  public static RolloutPolicy defaults() {
    return new RolloutPolicy(
        DEFAULT_BAKE,
        DEFAULT_MAX_ERROR_RATE,
        DEFAULT_MIN_REQUESTS,
        DEFAULT_WAVE,
        Duration.ofSeconds(15),
        Duration.ofMillis(250),
        Duration.ofMinutes(3),
        3);
  }

  /** Pods per wave out of {@code pods}: the share rounded up, at least one. */
  public int waveSize(int pods) {
    return Math.max(1, (int) Math.ceil(waveFraction * pods));
  }
}
