package io.podreload.reloader.pipeline;

/**
 * After changes, on the first quiet tick: full collections until the heap stops shrinking, so that
 * the heap a burst grew (a large ConfigMap, many reloads) goes back to the system. The serial
 * collector gives memory back only after a full collection, and only part of the way each time (its
 * shrink factor grows over successive collections; jvm.options sets how much free heap it keeps).
 * One collection left a 1 MiB ConfigMap's burst at 21 of 29 MiB; a few take it back to the live
 * set's share. Without them the reloader stays at its peak size.
 *
 * <p>They run on a thread of their own, never on a thread that reloads, and stop at the first
 * change that comes in ({@link #changed()}): a reload waits at most for the one collection under
 * way (a few milliseconds on this small heap), never for the series.
 */
final class HeapGiveBack {

  static final int MAX_COLLECTIONS = 6;

  private final Runnable collect;
  private volatile boolean changedSinceCollection;
  private volatile boolean stopped;
  private Thread collector;

  /**
   * @param collect one full collection ({@code System::gc})
   */
  HeapGiveBack(Runnable collect) {
    this.collect = collect;
  }

  /** A quiet tick: starts the collections, once after reloads, unless they still run. */
  synchronized void whenQuiet() {
    if (!changedSinceCollection || (collector != null && collector.isAlive())) {
      return;
    }
    changedSinceCollection = false;
    stopped = false;
    collector = new Thread(this::collectUntilStill, "heap-give-back");
    collector.setDaemon(true);
    collector.start();
  }

  /** A change came in: no further collection now, and collections on the next quiet tick. */
  void changed() {
    stopped = true;
    changedSinceCollection = true;
  }

  private void collectUntilStill() {
    Runtime runtime = Runtime.getRuntime();
    long committed = runtime.totalMemory();
    for (int i = 0; i < MAX_COLLECTIONS && !stopped; i++) {
      collect.run();
      long now = runtime.totalMemory();
      if (now >= committed && i > 0) {
        return; // the first may only set the collector's shrink factor going
      }
      committed = now;
    }
  }
}
