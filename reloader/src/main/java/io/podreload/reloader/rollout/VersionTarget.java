package io.podreload.reloader.rollout;

/** The app as the rollout sees it: what it serves, and a way to have it serve a version. */
public interface VersionTarget {

  /** The pod's view of itself now. */
  AppView view();

  /**
   * Renders {@code version}'s content where the app reads it and has the app reload; returns when
   * the app answered or the attempt failed ({@link #view()} then shows the attempt).
   */
  void serve(String version);

  /** Keeps {@code version}'s content at hand (the last promoted one; null: none yet). */
  default void pin(String version) {}
}
