package io.podreload.reloader.rollout;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * What one pod reports: the version its app serves and the result of its last attempt. Each pod
 * writes only its own key ({@link #key(String)}) of the records object, by server-side apply with
 * itself as field manager, so pods never conflict with each other.
 *
 * @param serving the version the app acknowledged last (null before any)
 * @param attempted the version of the last attempt
 * @param result {@code applied}, {@code rejected} (the app refused it) or {@code failed} (not
 *     signalled or not confirmed)
 * @param at when the attempt ended
 * @param error the reason for anything but applied (never secret values), or null
 */
public record PodRecord(String serving, String attempted, String result, Instant at, String error) {

  public static final String APPLIED = "applied";
  public static final String REJECTED = "rejected";
  public static final String FAILED = "failed";
  private static final String PREFIX = "pod.";

  /** The records object's key of {@code pod}. */
  public static String key(String pod) {
    return PREFIX + pod;
  }

  /** The pod a key belongs to, if it is a pod's key. */
  public static Optional<String> podOf(String key) {
    return key.startsWith(PREFIX) ? Optional.of(key.substring(PREFIX.length())) : Optional.empty();
  }

  /** Whether the pod serves {@code version} after an applied attempt. */
  public boolean acked(String version) {
    return version.equals(serving) && APPLIED.equals(result) && version.equals(attempted);
  }

  /** Whether the pod's app failed {@code version}. */
  public boolean failed(String version) {
    return version.equals(attempted) && !APPLIED.equals(result);
  }

  /**
   * One line that kubectl shows as it is: {@code serving=V attempted=V result=R at=T error=...};
   * the error comes last, so it may hold spaces.
   */
  public String toValue() {
    return "serving="
        + (serving == null ? "-" : serving)
        + " attempted="
        + (attempted == null ? "-" : attempted)
        + " result="
        + result
        + " at="
        + at
        + (error == null ? "" : " error=" + error.replace('\n', ' '));
  }

  /** Parses {@link #toValue()}; a malformed value is empty (treated as a pod that said nothing). */
  public static Optional<PodRecord> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String error = null;
    int e = value.indexOf(" error=");
    String head = value;
    if (e >= 0) {
      error = value.substring(e + " error=".length());
      head = value.substring(0, e);
    }
    String serving = null;
    String attempted = null;
    String result = null;
    Instant at = null;
    for (String part : head.split(" ")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        return Optional.empty();
      }
      String v = part.substring(eq + 1);
      switch (part.substring(0, eq)) {
        case "serving" -> serving = "-".equals(v) ? null : v;
        case "attempted" -> attempted = "-".equals(v) ? null : v;
        case "result" -> result = v;
        case "at" -> {
          try {
            at = Instant.parse(v);
          } catch (DateTimeParseException ex) {
            return Optional.empty();
          }
        }
        default -> {
          // a later field: ignored
        }
      }
    }
    return result == null
        ? Optional.empty()
        : Optional.of(new PodRecord(serving, attempted, result, at, error));
  }
}
