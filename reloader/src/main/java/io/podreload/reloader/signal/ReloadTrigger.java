package io.podreload.reloader.signal;

import java.util.List;

/**
 * Asks the app to reload. One method, so that another way (an HTTP endpoint) can take the place of
 * a signal without the pipeline knowing.
 */
public interface ReloadTrigger {

  /**
   * Triggers a reload now.
   *
   * @return the pids that were asked (for the status file's confirmation and the metrics)
   * @throws TriggerException when no target could be asked, with a reason and what to do
   */
  List<Long> trigger() throws TriggerException;

  /** The pids a trigger would reach now, without triggering anything (for health and metrics). */
  List<Long> targets();
}
