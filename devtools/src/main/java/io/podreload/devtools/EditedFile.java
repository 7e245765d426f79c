package io.podreload.devtools;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A plain file that the user edits, followed like a ConfigMap's source: every save (an in-place
 * write or an editor's rename-over save) whose bytes differ from the last published ones is handed
 * to a {@link Publisher} once, after an optional delay like the kubelet's sync period.
 */
final class EditedFile {

  private static final long RECHECK_MILLIS = 1000;

  /** Where a save goes: a kubelet-style volume dir, or a ConfigMap of the API stand-in. */
  interface Publisher {
    /**
     * @param name the file's name (the ConfigMap's key)
     */
    void publish(String name, byte[] content) throws IOException;
  }

  private final Path source;
  private final Duration delay;
  private final Publisher publisher;
  private byte[] published;

  EditedFile(Path source, Duration delay, Publisher publisher) {
    this.source = source.toAbsolutePath();
    this.delay = delay;
    this.publisher = publisher;
  }

  /** Publishes now, then every change, until the thread is interrupted. */
  void follow() throws IOException, InterruptedException {
    publishIfChanged();
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      source
          .getParent()
          .register(
              watch,
              StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_MODIFY,
              StandardWatchEventKinds.ENTRY_DELETE);
      while (true) {
        // Woken by any change in the file's dir; the timeout re-checks in case an event is lost.
        var key = watch.poll(RECHECK_MILLIS, TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
        publishIfChanged();
      }
    } catch (ClosedWatchServiceException e) {
      // shutting down
    }
  }

  /** Publishes the file when its bytes differ from the last published ones. */
  boolean publishIfChanged() throws IOException, InterruptedException {
    byte[] current = read();
    if (current == null || Arrays.equals(current, published)) {
      return false;
    }
    if (!delay.isZero() && published != null) {
      System.out.printf(
          "change seen, publishing in %.1f s (kubelet delay)%n", delay.toMillis() / 1e3);
      Thread.sleep(delay.toMillis());
      current = read(); // the kubelet publishes what is there at its next sync
      if (current == null) {
        return false;
      }
    }
    publisher.publish(source.getFileName().toString(), current);
    published = current;
    return true;
  }

  private byte[] read() throws IOException {
    try {
      return Files.readAllBytes(source);
    } catch (NoSuchFileException e) {
      return null; // between an editor's delete and create: wait for the new file
    }
  }
}
