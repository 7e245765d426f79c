package io.podreload.reloader.rollout;

import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What a pod knows of itself when it decides.
 *
 * @param source the version its source offers now (the ConfigMap's content hash), or null
 * @param serving the version the app acknowledged last, or null before any
 * @param last the last attempt, or null before any
 * @param health a reading of the app's health and request counters (read only while baking)
 * @param available whether the pod has the content of a version (to serve or to return to)
 */
public record AppView(
    String source,
    String serving,
    Attempt last,
    Supplier<HealthSample> health,
    Predicate<String> available) {

  /** One attempt to serve a version, as the app answered it. */
  public record Attempt(String version, String result, String error, Instant at) {
    public boolean applied() {
      return PodRecord.APPLIED.equals(result);
    }
  }

  /**
   * The app's health and its cumulative request counters.
   *
   * @param ready whether its readiness is UP
   * @param requests requests answered so far
   * @param errors of those, answered 5xx
   */
  public record HealthSample(boolean ready, long requests, long errors) {}
}
