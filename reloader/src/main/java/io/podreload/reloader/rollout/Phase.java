package io.podreload.reloader.rollout;

import java.util.Optional;

/** Where a rollout stands, as written in the coordination object's {@code phase} key. */
public enum Phase {
  /** One pod, the canary, serves the new version and bakes; the others keep the promoted one. */
  CANARY("canary", true),
  /** The canary passed: waves of pods, in rank order, move to the new version. */
  PROMOTING("promoting", true),
  /** Every pod was asked to serve the version; it is now the one a rollback returns to. */
  PROMOTED("promoted", false),
  /** The version failed its gate: every pod serves the last promoted version. */
  ROLLED_BACK("rolled-back", false);

  private final String wire;
  private final boolean active;

  Phase(String wire, boolean active) {
    this.wire = wire;
    this.active = active;
  }

  /** The value in the coordination object. */
  public String wire() {
    return wire;
  }

  /** Whether a holder drives it (and its lease matters). */
  public boolean active() {
    return active;
  }

  public static Optional<Phase> parse(String wire) {
    for (Phase phase : values()) {
      if (phase.wire.equals(wire)) {
        return Optional.of(phase);
      }
    }
    return Optional.empty();
  }
}
