package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The follower in process, on real files: what it reads, in which order, and what it counts. */
class FileFollowerTest {
  @TempDir Path dir;

  final Metrics.OutputMetrics metrics = new Metrics(new PrometheusRegistry()).forOutput("stdout");
  final MovableClock clock = new MovableClock();
  final Batch batch = new Batch();
  final List<String> out = new ArrayList<>();
  final List<String> ids = new ArrayList<>();

  private FileFollower follower(Path log) throws IOException {
    return new FileFollower(
        log,
        new CheckpointStore(dir.resolve("state"), "stdout", metrics),
        metrics,
        "stdout",
        1024,
        TimeUnit.SECONDS.toNanos(1),
        clock);
  }

  private void pollAll(FileFollower f) throws IOException {
    for (int quiet = 0; quiet < 3; ) {
      quiet = pollOnce(f, 1000) ? 0 : quiet + 1;
    }
  }

  /** One poll taking at most {@code maxLines} lines, as a pipeline whose batch fills up. */
  private boolean pollOnce(FileFollower f, int maxLines) throws IOException {
    boolean progress = f.poll(batch, maxLines, 1 << 20);
    for (int i = 0; i < batch.count(); i++) {
      out.add(new String(batch.data(), batch.start(i), batch.length(i), StandardCharsets.UTF_8));
      ids.add(batch.source(i) + "@" + batch.offset(i));
    }
    batch.clear();
    return progress;
  }

  private static void append(Path file, String... lines) throws IOException {
    Files.writeString(
        file,
        String.join("\n", lines) + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  @Test
  void aRotatedFileRemovedBeforeItWasReadIsCountedWithItsBytes() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "a1", "a2");
    FileFollower f = follower(log);
    pollAll(f);
    // A is renamed, B written; the follower sees B at the name but waits for A's writer
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "b1", "b2", "b3");
    pollAll(f);
    assertThat(f.readingRotatedFile()).isTrue();
    // rotated again: B goes to .1 (A to .2), C is new; then B is removed before anyone read it
    Files.move(dir.resolve("access.log.1"), dir.resolve("access.log.2"));
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "c1");
    Files.delete(dir.resolve("access.log.1"));
    clock.advance();
    pollAll(f);
    assertThat(out).containsExactly("a1", "a2", "c1");
    assertThat(metrics.lostFiles.value()).isEqualTo(1.0);
    assertThat(metrics.lostBytes.value()).isEqualTo(9.0); // "b1\nb2\nb3\n"
  }

  @Test
  void theWriterOfARenamedFileIsWaitedForUntilTheFileIsQuiet() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "a1");
    FileFollower f = follower(log);
    pollAll(f);
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "b1");
    pollAll(f);
    // the app has not reopened the name yet: its next line still goes to the renamed file
    append(dir.resolve("access.log.1"), "a2");
    pollAll(f);
    clock.advance();
    pollAll(f);
    assertThat(out).containsExactly("a1", "a2", "b1");
  }

  @Test
  void aLineHasTheSameIdWhenReadAgainAfterItsFileGrew() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "GET /a 200");
    FileFollower first = follower(log);
    pollAll(first);
    first.close();
    append(log, "GET /b 200", "x".repeat(300));
    FileFollower second = follower(log); // no checkpoint saved: as after kill -9, from the start
    pollAll(second);
    assertThat(out).containsExactly("GET /a 200", "GET /a 200", "GET /b 200", "x".repeat(300));
    assertThat(ids.get(1)).isEqualTo(ids.get(0));
    assertThat(ids.get(2)).startsWith(ids.get(0).substring(0, ids.get(0).indexOf('@')));
  }

  /**
   * Without a checkpoint (a first start, or a kill -9 before the first one), the files rotated
   * before the follower's first look are read too, oldest first, before the name: in a pod they are
   * the app's first lines, rotated while the logger was still starting.
   */
  @Test
  void aStartWithoutACheckpointReadsTheFilesRotatedBeforeItOldestFirst() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "a1", "a2");
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "b1");
    Files.move(dir.resolve("access.log.1"), dir.resolve("access.log.2"));
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "c1");
    Files.writeString(dir.resolve("access.log.3.gz"), "not a log\n"); // compressed: never read
    FileFollower f = follower(log);
    pollAll(f);
    clock.advance(); // the rotated files are quiet: nobody writes to them any more
    pollAll(f);
    assertThat(out).containsExactly("a1", "a2", "b1", "c1");
  }

  /**
   * Each file that leaves the name counts once: one renamed away before the follower's first look
   * is counted when it is read, and the file found at the name then is not a second rotation.
   */
  @Test
  void aRotationBeforeTheFirstLookIsCountedOnce() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "a1");
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "b1");
    FileFollower f = follower(log);
    pollAll(f);
    clock.advance();
    pollAll(f);
    assertThat(out).containsExactly("a1", "b1");
    assertThat(metrics.rotations.value()).isEqualTo(1.0);
  }

  /**
   * As the logger far behind meets three rotations: the first file is open, the files rotated after
   * it were seen at the name or not; each of the three counts once.
   */
  @Test
  void threeRenameRotationsWhileFarBehindCountThree() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "a1");
    FileFollower f = follower(log);
    pollOnce(f, 1000);
    for (String file : List.of("b", "c", "d")) {
      if (Files.exists(dir.resolve("access.log.1"))) {
        Files.move(
            dir.resolve("access.log.1"),
            dir.resolve("access.log.2"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(log, dir.resolve("access.log.1"));
      append(log, file + "1");
      if (file.equals("b")) {
        pollOnce(f, 1000); // sees b at the name once
      }
    }
    clock.advance();
    pollAll(f);
    clock.advance();
    pollAll(f);
    assertThat(out).containsExactly("a1", "b1", "c1", "d1");
    assertThat(metrics.rotations.value()).isEqualTo(3.0);
    assertThat(metrics.lostFiles.value()).isEqualTo(0.0);
  }

  /**
   * A rotation before the first look, then two more while that file is read: three files left the
   * name, three rotations (the logger far behind when its first look came late).
   */
  @Test
  void aRotationBeforeTheFirstLookAndTwoAfterCountThree() throws Exception {
    Path log = dir.resolve("access.log");
    append(log, "a1");
    Files.move(log, dir.resolve("access.log.1"));
    append(log, "b1");
    FileFollower f = follower(log);
    pollOnce(f, 1); // a1 only: the follower stays in the first file
    for (String file : List.of("c", "d")) {
      Files.move(
          dir.resolve("access.log.1"),
          dir.resolve("access.log.2"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.move(log, dir.resolve("access.log.1"));
      append(log, file + "1");
      pollOnce(f, 0); // looks at the name, takes no line
    }
    clock.advance();
    pollAll(f);
    clock.advance();
    pollAll(f);
    assertThat(out).containsExactly("a1", "b1", "c1", "d1");
    assertThat(metrics.rotations.value()).isEqualTo(3.0);
  }
}
