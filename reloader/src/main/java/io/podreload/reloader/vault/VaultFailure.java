package io.podreload.reloader.vault;

/**
 * A failed call to Vault, by reason. Its message is written here, never copied from the driver: the
 * driver puts response bodies into its messages, and a body may hold secret values.
 */
final class VaultFailure extends Exception {

  /** Why a call failed; {@link #label()} is the {@code reason} of the errors metric. */
  enum Reason {
    SEALED("sealed", true),
    DENIED("denied", false),
    NOT_FOUND("not_found", false),
    BAD_REQUEST("bad_request", false),
    RATE_LIMITED("rate_limited", true),
    SERVER_ERROR("server_error", true),
    TIMEOUT("timeout", true),
    UNREACHABLE("unreachable", true),
    BAD_RESPONSE("bad_response", true),
    CREDENTIALS("credentials", false),
    RENDER("render", true);

    private final String label;
    private final boolean transient_;

    Reason(String label, boolean transient_) {
      this.label = label;
      this.transient_ = transient_;
    }

    String label() {
      return label;
    }

    /** Worth retrying as it is; the others need a fix (a policy, a path, a role, a file). */
    boolean isTransient() {
      return transient_;
    }

    static Reason ofStatus(int status) {
      if (status == 503) {
        return SEALED;
      } else if (status == 401 || status == 403) {
        return DENIED;
      } else if (status == 404) {
        return NOT_FOUND;
      } else if (status == 429) {
        return RATE_LIMITED;
      } else if (status >= 500) {
        return SERVER_ERROR;
      }
      return BAD_REQUEST;
    }
  }

  private final Reason reason;
  private final int status;

  VaultFailure(Reason reason, int status, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.status = status;
  }

  Reason reason() {
    return reason;
  }

  /** The HTTP status Vault answered with, 0 when there was no answer. */
  int status() {
    return status;
  }
}
