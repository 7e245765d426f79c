package io.podreload.reloader.signal;

/** A reload that could not be triggered, with a metric-friendly reason and a message to act on. */
public final class TriggerException extends Exception {

  /** Why a trigger failed; the label of {@code reloader_signal_errors_total}. */
  public enum Reason {
    /** No process matches the target's command line (not started yet, or restarting). */
    NO_TARGET("no_target"),
    /** Several processes match and signalling all of them is off. */
    AMBIGUOUS("ambiguous"),
    /** The target does not catch the signal: sending it would kill it. */
    NOT_CAUGHT("not_caught"),
    /** EPERM: the reloader may not signal the target. */
    PERMISSION("permission"),
    /** Any other failure of kill(2). */
    FAILED("failed");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Reason reason;

  public TriggerException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
