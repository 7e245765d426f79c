package io.podreload.reloader.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.common.KubeletVolume;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inotify through jnr-ffi on real dirs: the events the volume source acts on, and its waits. */
class InotifyTest {

  @TempDir Path tmp;

  /** Every event until one matches, or none left within the wait. */
  static List<Inotify.Event> eventsUntil(Inotify inotify, String name, int bits)
      throws IOException {
    List<Inotify.Event> seen = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (Inotify.Event event : inotify.await(1000)) {
        seen.add(event);
        if (event.name().equals(name) && event.is(bits)) {
          return seen;
        }
      }
    }
    throw new AssertionError("no " + name + " event; saw " + seen);
  }

  @Test
  void aKubeletSwapIsTheRenameOfDataOverTheOldLinkOnTheWatchedDir() throws Exception {
    Path dir = tmp.resolve("config");
    KubeletVolume.write(
        dir, Map.of("application.yml", "a: 1\n".getBytes(StandardCharsets.UTF_8)), null);
    try (Inotify inotify = Inotify.open()) {
      int wd = inotify.watch(dir, Inotify.DIR_EVENTS);
      KubeletVolume.write(
          dir,
          Map.of("application.yml", "a: 2\n".getBytes(StandardCharsets.UTF_8)),
          PosixFilePermissions.fromString("rw-r--r--"));
      List<Inotify.Event> events =
          eventsUntil(inotify, KubeletVolume.DATA_LINK, Inotify.IN_MOVED_TO);
      assertThat(events).allMatch(e -> e.wd() == wd);
    }
  }

  @Test
  void aPlainWriteAndTheDirsRemovalAreSeen() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("plain"));
    try (Inotify inotify = Inotify.open()) {
      inotify.watch(dir, Inotify.DIR_EVENTS);
      Files.writeString(dir.resolve("application.yml"), "a: 1\n");
      eventsUntil(inotify, "application.yml", Inotify.IN_CREATE);
      Files.delete(dir.resolve("application.yml"));
      Files.delete(dir);
      eventsUntil(inotify, "", Inotify.IN_DELETE_SELF | Inotify.IN_IGNORED);
    }
  }

  @Test
  void aWaitEndsAfterItsTimeoutOrAtOnceWhenWokenFromAnotherThread() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("still"));
    try (Inotify inotify = Inotify.open()) {
      inotify.watch(dir, Inotify.DIR_EVENTS);
      assertThat(inotify.await(10)).isEmpty();
      CompletableFuture<List<Inotify.Event>> waiting =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return inotify.await(600_000);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      inotify.wakeUp();
      assertThat(waiting.get(30, TimeUnit.SECONDS)).isEmpty();
    }
  }

  @Test
  void aSpinningWaitReturnsAnEventThatComesAndFallsBackToItsTimeoutWhenNoneDoes() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("spin"));
    try (Inotify inotify = Inotify.open()) {
      inotify.watch(dir, Inotify.DIR_EVENTS);
      long start = System.nanoTime();
      assertThat(inotify.await(20, 1_000_000)).isEmpty(); // the spin, then the 20 ms wait
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(20_000_000);
      Files.writeString(dir.resolve("application.yml"), "a: 1\n");
      assertThat(inotify.await(30_000, 1_000_000)) // seen by the spin or by the wait after it
          .anyMatch(e -> e.name().equals("application.yml") && e.is(Inotify.IN_CREATE));
    }
  }

  @Test
  void watchingAFileOrAMissingDirIsAnErrorThatSaysWhy() throws Exception {
    Path file = Files.writeString(tmp.resolve("file.yml"), "a: 1\n");
    try (Inotify inotify = Inotify.open()) {
      assertThatThrownBy(() -> inotify.watch(file, Inotify.DIR_EVENTS))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("inotify_add_watch");
      assertThatThrownBy(() -> inotify.watch(tmp.resolve("missing"), Inotify.DIR_EVENTS))
          .isInstanceOf(IOException.class);
    }
  }
}
