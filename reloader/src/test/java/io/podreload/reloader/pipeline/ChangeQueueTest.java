package io.podreload.reloader.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.ConfigFile;
import io.podreload.common.DirSnapshot;
import io.podreload.reloader.rollout.ManualClock;
import io.podreload.reloader.source.SourceChange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The queue on a hand-moved clock: no thread, no sleep. */
class ChangeQueueTest {

  final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  // Jitter 1.0: each wait is the whole step, so the times below are exact.
  final ChangeQueue queue = new ChangeQueue(clock, Duration.ofSeconds(2), () -> 0.999999);

  static SourceChange change(String dir, String content) {
    return new SourceChange(
        "volume",
        new DirSnapshot(
            Path.of(dir),
            true,
            List.of(new ConfigFile("a.yml", content.getBytes(StandardCharsets.UTF_8)))),
        Instant.EPOCH,
        "");
  }

  static String content(SourceChange change) {
    return new String(change.snapshot().files().get(0).content(), StandardCharsets.UTF_8);
  }

  @Test
  void anEmptyQueueHasNothingDue() {
    assertThat(queue.poll()).isEmpty();
    assertThat(queue.untilDue()).isEmpty();
  }

  @Test
  void theLatestChangeOfADirWinsAndDirsAreKeptApart() {
    queue.offer(change("/a", "1"));
    queue.offer(change("/b", "x"));
    queue.offer(change("/a", "2"));
    assertThat(queue.untilDue()).contains(Duration.ZERO);
    List<SourceChange> batch = queue.poll();
    assertThat(batch).extracting(ChangeQueueTest::content).containsExactly("2", "x");
    assertThat(queue.poll()).isEmpty();
  }

  @Test
  void aFailedBatchComesBackAfterABackoffThatDoublesUpToTheMaximum() {
    queue.offer(change("/a", "1"));
    List<SourceChange> batch = queue.poll();
    Duration[] waits = new Duration[5];
    for (int i = 0; i < waits.length; i++) {
      queue.retryLater(batch);
      waits[i] = queue.untilDue().orElseThrow();
      assertThat(queue.poll()).isEmpty(); // not due yet
      clock.advance(waits[i]);
      batch = queue.poll();
      assertThat(batch).hasSize(1);
    }
    assertThat(waits)
        .containsExactly(
            Duration.ofMillis(250),
            Duration.ofMillis(500),
            Duration.ofMillis(1000),
            Duration.ofMillis(2000),
            Duration.ofMillis(2000));
    queue.answered();
    queue.retryLater(batch);
    assertThat(queue.untilDue()).contains(Duration.ofMillis(250));
  }

  @Test
  void newContentIsDueAtOnceEvenDuringABackoff() {
    queue.offer(change("/a", "1"));
    queue.retryLater(queue.poll());
    queue.offer(change("/a", "2"));
    assertThat(queue.poll()).extracting(ChangeQueueTest::content).containsExactly("2");
  }

  @Test
  void aRetriedBatchNeverReplacesNewerContent() {
    queue.offer(change("/a", "1"));
    List<SourceChange> failed = queue.poll();
    queue.offer(change("/a", "2"));
    assertThat(queue.hasNewer(failed.get(0).snapshot().key())).isTrue();
    queue.retryLater(failed);
    clock.advance(Duration.ofSeconds(5));
    assertThat(queue.poll()).extracting(ChangeQueueTest::content).containsExactly("2");
  }

  @Test
  void waitingForAStartingAppDoesNotGrowTheBackoff() {
    queue.offer(change("/a", "1"));
    queue.retryAfter(queue.poll(), Duration.ofMillis(100));
    assertThat(queue.untilDue()).contains(Duration.ofMillis(100));
    assertThat(queue.backoffStep()).isZero();
    clock.advance(Duration.ofMillis(100));
    assertThat(queue.poll()).hasSize(1);
  }
}
