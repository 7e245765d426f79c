package io.podreload.reloader.rollout;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The rollout as the coordination object holds it: one small set of keys that only the holder
 * writes, each with a compare-and-swap on the object's resourceVersion. Pods' own records live
 * elsewhere ({@link PodRecord}), so this object stays a few hundred bytes and its watch events stay
 * cheap for hundreds of watchers.
 *
 * @param resourceVersion the object's resourceVersion when read (the precondition of the next
 *     write); empty when the object was never written
 * @param paused whether the object carries the annotation {@value #PAUSE_ANNOTATION}={@value
 *     #PAUSED}
 * @param version the version being rolled out (a content hash), or null before the first rollout
 * @param phase where it stands, or null before the first rollout
 * @param promoted the last promoted version: what a rollback returns to
 * @param canary the pod that serves the version first
 * @param threshold in {@link Phase#PROMOTING}, pods whose {@link Rank} is at or below it serve the
 *     version
 * @param wave the number of waves opened (0 while the canary bakes)
 * @param attempt which canary this is for the version (a canary that stops renewing is replaced)
 * @param holder the pod that drives the rollout
 * @param renewTime when the holder last renewed its lease
 * @param lease how long the lease lasts without renewal
 * @param reason why the rollout stands where it stands (a rollback's cause, an extended bake)
 * @param pods how many pods had a record when the holder last counted (0: not known yet); spreads
 *     the next claim over as many claim slots, so the first rank claims before the others try
 */
public record RolloutState(
    String resourceVersion,
    boolean paused,
    String version,
    Phase phase,
    String promoted,
    String canary,
    Long threshold,
    int wave,
    int attempt,
    String holder,
    Instant renewTime,
    Duration lease,
    String reason,
    int pods) {

  public static final String PAUSE_ANNOTATION = "podreload.io/rollout";
  public static final String PAUSED = "paused";

  /** The object as the overlay creates it: empty. */
  public static RolloutState empty(String resourceVersion) {
    return new RolloutState(
        resourceVersion, false, null, null, null, null, null, 0, 0, null, null, null, null, 0);
  }

  /** Whether a rollout was ever recorded. */
  public boolean started() {
    return version != null && phase != null;
  }

  /** Whether a holder drives it now (its lease matters). */
  public boolean active() {
    return started() && phase.active();
  }

  /** When the lease ends, if nobody renews it. */
  public Optional<Instant> leaseEnd() {
    return renewTime == null || lease == null
        ? Optional.empty()
        : Optional.of(renewTime.plus(lease));
  }

  /**
   * The version the state allows {@code pod} to serve, or empty when it says nothing yet (before
   * the first rollout, or a first rollout with no promoted version).
   */
  public Optional<String> allowed(String pod) {
    if (!started()) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        switch (phase) {
          case PROMOTED -> version;
          case ROLLED_BACK -> promoted;
          case CANARY -> pod.equals(canary) ? version : promoted;
          case PROMOTING ->
              pod.equals(canary)
                      || (threshold != null && Rank.within(Rank.of(version, pod), threshold))
                  ? version
                  : promoted;
        });
  }

  public RolloutState withPhase(Phase next, String why) {
    return new RolloutState(
        resourceVersion,
        paused,
        version,
        next,
        promoted,
        canary,
        threshold,
        wave,
        attempt,
        holder,
        renewTime,
        lease,
        why,
        pods);
  }

  public RolloutState withWave(long nextThreshold, int nextWave) {
    return new RolloutState(
        resourceVersion,
        paused,
        version,
        Phase.PROMOTING,
        promoted,
        canary,
        nextThreshold,
        nextWave,
        attempt,
        holder,
        renewTime,
        lease,
        null,
        pods);
  }

  public RolloutState renewedBy(String pod, Instant now, Duration duration) {
    return new RolloutState(
        resourceVersion,
        paused,
        version,
        phase,
        promoted,
        canary,
        threshold,
        wave,
        attempt,
        pod,
        now,
        duration,
        reason,
        pods);
  }

  public RolloutState withCanary(String pod, int nextAttempt) {
    return new RolloutState(
        resourceVersion,
        paused,
        version,
        Phase.CANARY,
        promoted,
        pod,
        null,
        0,
        nextAttempt,
        holder,
        renewTime,
        lease,
        null,
        pods);
  }

  public RolloutState withPods(int count) {
    return new RolloutState(
        resourceVersion,
        paused,
        version,
        phase,
        promoted,
        canary,
        threshold,
        wave,
        attempt,
        holder,
        renewTime,
        lease,
        reason,
        count);
  }

  public RolloutState withReason(String why) {
    return new RolloutState(
        resourceVersion,
        paused,
        version,
        phase,
        promoted,
        canary,
        threshold,
        wave,
        attempt,
        holder,
        renewTime,
        lease,
        why,
        pods);
  }

  /** A new rollout of {@code next}, its canary and holder {@code pod}. */
  public static RolloutState start(
      String resourceVersion,
      String next,
      String promoted,
      String pod,
      Instant now,
      Duration lease,
      int pods) {
    return new RolloutState(
        resourceVersion,
        false,
        next,
        Phase.CANARY,
        promoted,
        pod,
        null,
        0,
        1,
        pod,
        now,
        lease,
        null,
        pods);
  }

  /**
   * The keys the holder writes. Every key is present (null for an absent value), so that a JSON
   * merge patch of this map also removes what the previous state had and this one has not.
   */
  public Map<String, String> toData() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("version", version);
    data.put("phase", phase == null ? null : phase.wire());
    data.put("promoted", promoted);
    data.put("canary", canary);
    data.put("wave", String.valueOf(wave));
    data.put("threshold", threshold == null ? null : Rank.format(threshold));
    data.put("attempt", String.valueOf(attempt));
    data.put("holder", holder);
    data.put("renewTime", renewTime == null ? null : renewTime.toString());
    data.put("leaseSeconds", lease == null ? null : String.valueOf(lease.toSeconds()));
    data.put("reason", reason);
    data.put("pods", String.valueOf(pods));
    return data;
  }

  /**
   * Reads the object's data and annotations. Unknown or malformed values count as absent, so that a
   * hand edit cannot stop the fleet: the next holder writes a whole state again.
   */
  public static RolloutState fromData(
      String resourceVersion, Map<String, String> data, Map<String, String> annotations) {
    Map<String, String> d = data == null ? Map.of() : data;
    boolean paused =
        annotations != null && PAUSED.equalsIgnoreCase(annotations.get(PAUSE_ANNOTATION));
    Duration lease = null;
    try {
      String seconds = d.get("leaseSeconds");
      lease = seconds == null ? null : Duration.ofSeconds(Long.parseLong(seconds));
    } catch (NumberFormatException e) {
      // absent
    }
    Long threshold = null;
    try {
      threshold = d.get("threshold") == null ? null : Rank.parse(d.get("threshold"));
    } catch (NumberFormatException e) {
      // absent
    }
    Instant renew = null;
    try {
      renew = d.get("renewTime") == null ? null : Instant.parse(d.get("renewTime"));
    } catch (DateTimeParseException e) {
      // absent
    }
    return new RolloutState(
        resourceVersion == null ? "" : resourceVersion,
        paused,
        blankToNull(d.get("version")),
        Phase.parse(d.get("phase")).orElse(null),
        blankToNull(d.get("promoted")),
        blankToNull(d.get("canary")),
        threshold,
        parseInt(d.get("wave")),
        parseInt(d.get("attempt")),
        blankToNull(d.get("holder")),
        renew,
        lease,
        blankToNull(d.get("reason")),
        parseInt(d.get("pods")));
  }

  private static int parseInt(String text) {
    try {
      return text == null ? 0 : Integer.parseInt(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String blankToNull(String text) {
    return text == null || text.isBlank() ? null : text;
  }
}
