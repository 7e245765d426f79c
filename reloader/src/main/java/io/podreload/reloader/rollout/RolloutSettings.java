package io.podreload.reloader.rollout;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a ConfigMap edit reaches the fleet ({@code RELOADER_ROLLOUT_*} bind here by name; {@code
 * RELOADER_ROLLOUT} itself is mapped in application.yml). Checked at start by {@link #problems}.
 *
 * @param mode {@code RELOADER_ROLLOUT}: {@code all-at-once} (every pod reloads an edit at once) or
 *     {@code progressive} (one canary first, a health gate, then waves)
 * @param bake {@code RELOADER_ROLLOUT_BAKE}: how long the canary serves a version before it passes
 * @param maxErrorRate {@code RELOADER_ROLLOUT_MAX_ERROR_RATE}: the largest share of 5xx answers
 *     over the bake that passes (0.01 = 1%)
 * @param minRequests {@code RELOADER_ROLLOUT_MIN_REQUESTS}: requests the bake must see to judge
 * @param wave {@code RELOADER_ROLLOUT_WAVE}: the share of the pods per wave (at least one pod)
 * @param lease {@code RELOADER_ROLLOUT_LEASE}: how long a holder's claim lasts unrenewed
 * @param appUrl {@code RELOADER_ROLLOUT_APP_URL}: the app's management base, where the health gate
 *     reads {@code /health/readiness} and {@code /prometheus}
 */
@ConfigurationProperties("reloader.rollout")
public record RolloutSettings(
    @Bindable(defaultValue = "all-at-once") String mode,
    @Bindable(defaultValue = "30s") Duration bake,
    @Bindable(defaultValue = "0.01") double maxErrorRate,
    @Bindable(defaultValue = "20") long minRequests,
    @Bindable(defaultValue = "0.25") double wave,
    @Bindable(defaultValue = "15s") Duration lease,
    @Bindable(defaultValue = "http://127.0.0.1:8090") String appUrl) {

  public static final String ALL_AT_ONCE = "all-at-once";
  public static final String PROGRESSIVE = "progressive";

  public RolloutSettings {
    mode = mode.trim().toLowerCase(Locale.ROOT);
    appUrl = appUrl.trim();
  }

  public boolean progressive() {
    return PROGRESSIVE.equals(mode);
  }

  /**
   * Every problem with these settings, each naming what to fix; empty when usable.
   *
   * @param sources the sources that run
   * @param pod this pod's name ({@code POD_NAME}), or null
   */
  public List<String> problems(List<String> sources, String pod) {
    List<String> problems = new ArrayList<>();
    if (!ALL_AT_ONCE.equals(mode) && !PROGRESSIVE.equals(mode)) {
      problems.add("RELOADER_ROLLOUT must be all-at-once or progressive, not " + mode);
    }
    if (!progressive()) {
      return problems;
    }
    if (!sources.contains("configmap")) {
      problems.add(
          "RELOADER_ROLLOUT=progressive rolls out the ConfigMap that the API source watches:"
              + " turn it on (RELOADER_CONFIGMAP_ENABLED=true), or set RELOADER_ROLLOUT=all-at-once");
    }
    if (pod == null || pod.isBlank()) {
      problems.add(
          "RELOADER_ROLLOUT=progressive needs the pod's name: set POD_NAME from the downward API"
              + " (fieldRef metadata.name)");
    }
    try {
      policy();
    } catch (IllegalArgumentException e) {
      problems.add("RELOADER_ROLLOUT_*: " + e.getMessage());
    }
    try {
      URI uri = URI.create(appUrl);
      if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      problems.add(
          "RELOADER_ROLLOUT_APP_URL must be the app's management base, such as"
              + " http://127.0.0.1:8090, not '"
              + appUrl
              + "'");
    }
    return problems;
  }

  /** The rollout's policy; throws IllegalArgumentException when a value is out of range. */
  public RolloutPolicy policy() {
    RolloutPolicy defaults = RolloutPolicy.defaults();
    return new RolloutPolicy(
        bake,
        maxErrorRate,
        minRequests,
        wave,
        lease,
        defaults.claimWindow(),
        defaults.waveTimeout(),
        defaults.maxCanaryAttempts());
  }

  public URI appUri() {
    return URI.create(appUrl);
  }
}
