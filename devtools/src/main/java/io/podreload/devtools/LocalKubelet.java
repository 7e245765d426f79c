package io.podreload.devtools;

import io.podreload.common.KubeletVolume;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a plain file into a ConfigMap-style volume dir the way the kubelet does, so that the
 * pod runs on one machine without a cluster ({@code bin/local-pod}). Every save of the file (an
 * in-place write or an editor's rename-over save) becomes one atomic {@code ..data} swap, after an
 * optional delay like the kubelet's sync period.
 *
 * <pre>
 * java -cp devtools/target/devtools.jar:common/target/common.jar io.podreload.devtools.LocalKubelet FILE VOLUME_DIR [DELAY]
 * </pre>
 */
public final class LocalKubelet {

  private static final long RECHECK_MILLIS = 1000;

  private final Path source;
  private final Path volume;
  private final Duration delay;
  private byte[] published;

  LocalKubelet(Path source, Path volume, Duration delay) {
    this.source = source.toAbsolutePath();
    this.volume = volume;
    this.delay = delay;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: LocalKubelet FILE VOLUME_DIR [DELAY_SECONDS]");
      System.exit(2);
    }
    Duration delay =
        Duration.ofMillis(args.length == 3 ? (long) (Double.parseDouble(args[2]) * 1000) : 0);
    new LocalKubelet(Path.of(args[0]), Path.of(args[1]), delay).run();
  }

  void run() throws IOException, InterruptedException {
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
    byte[] current = readSource();
    if (current == null || Arrays.equals(current, published)) {
      return false;
    }
    if (!delay.isZero() && published != null) {
      System.out.printf(
          "change seen, publishing in %.1f s (kubelet delay)%n", delay.toMillis() / 1e3);
      Thread.sleep(delay.toMillis());
      current = readSource(); // the kubelet publishes what is there at its next sync
      if (current == null) {
        return false;
      }
    }
    KubeletVolume.write(volume, Map.of(source.getFileName().toString(), current), null);
    published = current;
    System.out.printf(
        "published %s into %s (%d bytes)%n", source.getFileName(), volume, current.length);
    return true;
  }

  private byte[] readSource() throws IOException {
    try {
      return Files.readAllBytes(source);
    } catch (NoSuchFileException e) {
      return null; // between an editor's delete and create: wait for the new file
    }
  }
}
