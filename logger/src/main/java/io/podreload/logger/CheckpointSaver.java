package io.podreload.logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves checkpoints on a thread of its own. A save is two fsyncs (the file, then its directory),
 * which a busy disk can hold for hundreds of milliseconds; on the pipeline's thread that time was
 * added to every line waiting to go out. The newest checkpoint of each file wins, and saves are
 * serialized, so a saved checkpoint never goes back. On the way out {@link #saveNow()} saves on the
 * caller's thread and returns once everything offered is on disk.
 */
final class CheckpointSaver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointSaver.class);

  /** Writes one checkpoint durably (the store's save). */
  interface Store {
    void save(Checkpoint c) throws IOException;
  }

  private final Store store;
  private final Consumer<String> onError;
  private final String name;
  private final Thread thread;

  /** Offered, not saved yet: the newest per file. Guarded by {@code this}. */
  private final Map<Path, Checkpoint> pending = new LinkedHashMap<>();

  /** Held for a whole round of saves, so rounds never overlap and never reorder. */
  private final Object saving = new Object();

  /** The last saved per file (guarded by {@link #saving}): an unchanged one is not saved again. */
  private final Map<Path, Checkpoint> saved = new HashMap<>();

  private boolean closed; // guarded by this

  /**
   * @param onError told why a save failed (the failure is also logged and counted by the caller's
   *     callback); the checkpoint is saved again with the next offer
   */
  CheckpointSaver(String name, Store store, Consumer<String> onError) {
    this.name = name;
    this.store = store;
    this.onError = onError;
    this.thread = new Thread(this::loop, "checkpoints-" + name);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Saves {@code c} soon, on the saver's thread, unless a newer one for its file comes first. */
  synchronized void offer(Checkpoint c) {
    pending.put(c.followed(), c);
    notifyAll();
  }

  /** Saves everything offered so far on this thread, after any save in flight. */
  void saveNow() {
    saveRound();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
  }

  private void loop() {
    while (true) {
      synchronized (this) {
        while (pending.isEmpty() && !closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return; // saveNow, on the pipeline's way out, saves what is left
        }
      }
      try {
        saveRound();
      } catch (RuntimeException | Error e) {
        // never die unseen: the next offer tries again
        LOG.error("[{}] saving checkpoints failed: {}", name, e.toString(), e);
        onError.accept("cannot save checkpoint: " + e);
      }
    }
  }

  private void saveRound() {
    synchronized (saving) {
      List<Checkpoint> round;
      synchronized (this) {
        round = new ArrayList<>(pending.values());
        pending.clear();
      }
      for (Checkpoint c : round) {
        if (c.equals(saved.get(c.followed()))) {
          continue;
        }
        try {
          store.save(c);
          saved.put(c.followed(), c);
        } catch (IOException e) {
          onError.accept("cannot save checkpoint for " + c.followed() + ": " + e);
        }
      }
    }
  }
}
