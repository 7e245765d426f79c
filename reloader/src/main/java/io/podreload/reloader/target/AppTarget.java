package io.podreload.reloader.target;

import io.podreload.reloader.signal.TriggerException;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The app, as the reconciler reloads it: find it, ask whether it can take a reload, trigger one,
 * confirm it. Everything about how (processes, signals, the status file, an HTTP endpoint) stays in
 * the implementation: {@link SignalTarget} ({@code RELOADER_TARGET=signal}) and {@link HttpTarget}
 * ({@code RELOADER_TARGET=http}).
 *
 * <p>Content is named as the status file names it: each config dir and its {@code
 * DirSnapshot#hash()}, null for a dir that must be absent. One thread uses a target at a time.
 */
public interface AppTarget {

  /**
   * Finds the app now, without triggering anything (for {@code reloader_target_pid} and the
   * missing-target clock).
   *
   * @return the app's pid, 0 when it is there but its pid is not known; empty when it is missing
   */
  Optional<Long> find();

  /** The app's answer for exactly this content, when it reports already serving it. */
  Optional<Answer> serving(Map<String, String> expected);

  /** Whether the app can take a reload now; when not, it is starting and should be asked later. */
  Readiness readiness();

  /**
   * Asks the app to reload now.
   *
   * @throws TriggerException when it could not be asked, with a reason and what to do
   */
  Attempt trigger() throws TriggerException;

  /**
   * Waits for the app's answer to {@code attempt}, at most the confirm timeout.
   *
   * @param newerPending true once newer content than {@code expected} waits: an answer for that
   *     newer content then ends the wait too
   */
  Answer confirm(Attempt attempt, Map<String, String> expected, BooleanSupplier newerPending);

  /** Trigger, then confirm: a reload of {@code expected} (for callers with no queue). */
  default Answer reload(Map<String, String> expected) throws TriggerException {
    return confirm(trigger(), expected, () -> false);
  }

  /** Whether the app can take a reload; {@code why} says what it waits for when it cannot. */
  record Readiness(boolean ready, String why) {
    public static final Readiness READY = new Readiness(true, null);

    public static Readiness starting(String why) {
      return new Readiness(false, why);
    }
  }

  /**
   * A reload asked for.
   *
   * @param pid the pid asked (the first, when several were), 0 when not known
   * @param asked how many processes or endpoints were asked
   * @param who who was asked, for logs
   * @param state what the implementation needs to confirm it (the status seen before)
   */
  record Attempt(long pid, int asked, String who, Object state) {}

  /**
   * How the app answered.
   *
   * @param result what it said
   * @param message the app's reason for a rejection, or why there was no answer
   * @param who who answered, for logs (pid, generation, version; or the URL)
   */
  record Answer(Result result, String message, String who) {

    public enum Result {
      /** The app loaded the content. */
      APPLIED,
      /** The app refused it and keeps its last good config. */
      REJECTED,
      /** The app loaded newer content than was asked: that content's change follows. */
      SUPERSEDED,
      /** No answer within the confirm timeout. */
      UNANSWERED
    }
  }
}
