package io.podreload.reloader.source;

/**
 * How a reload ended.
 *
 * @param result what happened
 * @param message the reason for anything but {@link Result#APPLIED}; never holds secret values
 */
public record ReloadOutcome(Result result, String message) {

  public enum Result {
    /** The app loaded the content and serves it. */
    APPLIED,
    /** The app refused the content and keeps its last good config. */
    REJECTED,
    /** The content does not parse: no signal was sent. */
    INVALID,
    /** The app could not be signalled or did not confirm in time. */
    SIGNAL_FAILED
  }
}
