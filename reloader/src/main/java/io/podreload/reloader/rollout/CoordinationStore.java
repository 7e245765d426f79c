package io.podreload.reloader.rollout;

import java.util.Collection;
import java.util.Map;

/**
 * Where the fleet agrees: the rollout state (small, written by the holder with a compare-and-swap)
 * and the pods' records (one key per pod, each written only by its pod). On Kubernetes these are
 * two ConfigMaps, {@code <name>-rollout} and {@code <name>-rollout-pods}.
 */
public interface CoordinationStore {

  /** The state as last seen (a watch keeps it fresh); an empty state if never written. */
  RolloutState state();

  /**
   * The state as the server has it now (a read, where {@link #state()} may lag behind a slow
   * watch): asked once before a claim, so that a claim that another pod already made is seen
   * instead of conflicting with it.
   */
  default RolloutState fresh() {
    return state();
  }

  /** Every pod's record by pod name (only the holder asks). */
  Map<String, PodRecord> records();

  /** Writes this pod's own record. */
  void writeRecord(String pod, PodRecord record);

  /**
   * Replaces the state if the object is still at {@code next.resourceVersion()}.
   *
   * @return false on a conflict (someone wrote first): read again and decide again
   */
  boolean replaceState(RolloutState next);

  /** Removes the records of these pods. */
  void pruneRecords(Collection<String> pods);

  /** Posts a Kubernetes Event about the rollout (best effort: never fails the caller). */
  void event(Action.Event event);

  /** A request to the coordination objects failed (other than a conflict). */
  final class CoordinationException extends RuntimeException {
    public CoordinationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
