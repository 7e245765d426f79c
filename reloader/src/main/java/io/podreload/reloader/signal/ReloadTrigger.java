package io.podreload.reloader.signal;

import java.time.Instant;
import java.util.List;

/**
 * How the signal target ({@code io.podreload.reloader.target.SignalTarget}) reaches the app's
 * process: {@link SignalTrigger} in production, a stand-in in tests. Another way to reload (an HTTP
 * endpoint) is another {@code AppTarget}, not another trigger.
 */
public interface ReloadTrigger {

  /**
   * Triggers a reload now.
   *
   * @return the pids that were asked (for the status file's confirmation and the metrics)
   * @throws TriggerException when no target could be asked, with a reason and what to do
   */
  List<Long> trigger() throws TriggerException;

  /**
   * Triggers a reload of the process that acknowledged the last load, and only that one.
   *
   * @param acknowledged the pid the status file names and the start time read when it first
   *     acknowledged; null when no process has acknowledged yet
   */
  default List<Long> trigger(Acknowledged acknowledged) throws TriggerException {
    return trigger();
  }

  /** Checks again, off the signal's path, what a trigger keeps between signals (idle ticks). */
  default void recheck() {}

  /** The process that wrote the status file: its pid and when it started (from /proc). */
  record Acknowledged(long pid, Instant startedAt) {}

  /** The pids a trigger would reach now, without triggering anything (for health and metrics). */
  List<Long> targets();
}
