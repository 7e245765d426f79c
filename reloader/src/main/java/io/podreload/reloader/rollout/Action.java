package io.podreload.reloader.rollout;

import java.util.List;
import java.util.Set;

/** What a {@link RolloutNode} asks its agent to do. */
public sealed interface Action {

  /** Render {@code version}'s content for the app and have it reload. */
  record Serve(String version) implements Action {}

  /** Write this pod's own record (server-side apply of its one key). */
  record WriteRecord(PodRecord record) implements Action {}

  /**
   * Replace the rollout state if the object is still at {@code next.resourceVersion()} (a
   * compare-and-swap); the events are posted only if it was.
   */
  record WriteState(RolloutState next, List<Event> events) implements Action {}

  /** Remove the records of pods that did not answer in time (they write again when back). */
  record PruneRecords(Set<String> pods) implements Action {}

  /** A Kubernetes Event on the ConfigMap. */
  record Event(String type, String reason, String message) {
    public static Event normal(String reason, String message) {
      return new Event("Normal", reason, message);
    }

    public static Event warning(String reason, String message) {
      return new Event("Warning", reason, message);
    }
  }
}
