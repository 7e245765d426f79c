package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Saving a checkpoint (two fsyncs) happens off the pipeline's thread: a disk that holds an fsync
 * never holds a line on its way out, and a saved checkpoint never goes back.
 */
class CheckpointSaverTest {
  static final Path FILE = Path.of("/var/log/app/access.log");
  static final Path OTHER = Path.of("/var/log/app/error.log");

  final List<Checkpoint> saved = new CopyOnWriteArrayList<>();
  final List<String> errors = new CopyOnWriteArrayList<>();
  CheckpointSaver saver;

  static Checkpoint at(Path file, long offset) {
    return new Checkpoint(file, file, new FileIdentity(1, 2, 0, 0), offset, 0, List.of());
  }

  @AfterEach
  void close() {
    if (saver != null) {
      saver.close();
    }
  }

  @Test
  void anOfferReturnsWhileASaveIsHeldByTheDiskAndOnlyTheNewestIsSavedAfter() throws Exception {
    CountDownLatch inSave = new CountDownLatch(1);
    CountDownLatch disk = new CountDownLatch(1);
    saver =
        new CheckpointSaver(
            "stdout",
            c -> {
              inSave.countDown();
              try {
                disk.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
              saved.add(c);
            },
            errors::add);
    saver.start();
    saver.offer(at(FILE, 10));
    assertThat(inSave.await(5, TimeUnit.SECONDS)).isTrue();

    long t0 = System.nanoTime();
    for (long offset = 20; offset <= 100; offset += 10) {
      saver.offer(at(FILE, offset));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0))
        .as("offers do not wait for the disk")
        .isLessThan(Duration.ofSeconds(1));

    disk.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> saved.size() == 2);
    assertThat(saved).extracting(Checkpoint::offset).containsExactly(10L, 100L);
    assertThat(errors).isEmpty();
  }

  @Test
  void saveNowWaitsForTheSaveInFlightThenSavesWhatIsLeftInOrder() throws Exception {
    CountDownLatch inSave = new CountDownLatch(1);
    AtomicBoolean holdFirst = new AtomicBoolean(true);
    saver =
        new CheckpointSaver(
            "stdout",
            c -> {
              if (holdFirst.getAndSet(false)) {
                inSave.countDown();
                sleepQuietly(300); // a slow fsync in flight when the pipeline stops
              }
              saved.add(c);
            },
            errors::add);
    saver.start();
    saver.offer(at(FILE, 10));
    assertThat(inSave.await(5, TimeUnit.SECONDS)).isTrue();
    saver.offer(at(FILE, 20));
    saver.offer(at(OTHER, 5));

    saver.saveNow();

    assertThat(saved).extracting(Checkpoint::offset).containsExactly(10L, 20L, 5L);
  }

  @Test
  void anUnchangedCheckpointIsNotSavedAgainAndAFailedOneIsRetriedWithTheNextOffer() {
    AtomicBoolean diskFull = new AtomicBoolean(true);
    saver =
        new CheckpointSaver(
            "stdout",
            c -> {
              if (diskFull.get()) {
                throw new IOException("No space left on device");
              }
              saved.add(c);
            },
            errors::add);
    saver.offer(at(FILE, 10));
    saver.saveNow();
    assertThat(saved).isEmpty();
    assertThat(errors).singleElement().asString().contains("No space left on device");

    diskFull.set(false);
    saver.offer(at(FILE, 10));
    saver.saveNow();
    saver.offer(at(FILE, 10));
    saver.saveNow();
    assertThat(saved).extracting(Checkpoint::offset).containsExactly(10L);
  }

  @Test
  void aSaveThatThrowsAnErrorDoesNotEndTheThread() {
    AtomicBoolean broken = new AtomicBoolean(true);
    saver =
        new CheckpointSaver(
            "stdout",
            c -> {
              if (broken.getAndSet(false)) {
                throw new OutOfMemoryError("simulated");
              }
              saved.add(c);
            },
            errors::add);
    saver.start();
    saver.offer(at(FILE, 10));
    await().atMost(Duration.ofSeconds(5)).until(() -> !errors.isEmpty());
    saver.offer(at(FILE, 20));
    await().atMost(Duration.ofSeconds(5)).until(() -> saved.size() == 1);
    assertThat(saved.get(0).offset()).isEqualTo(20L);
  }

  static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
