package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logger as a real process following real files while a writer appends numbered lines ({@code
 * seq=N ...}), rotates and truncates them: every line exactly once on stdout.
 */
class LoggerFollowsFilesTest {

  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path work;

  Path log() {
    return work.resolve("log/access.log");
  }

  /** Appends lines seq=from..to-1, each flushed like the app's access log does. */
  void write(long from, long to) throws IOException {
    Files.createDirectories(log().getParent());
    try (OutputStream out =
        Files.newOutputStream(log(), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (long i = from; i < to; i++) {
        out.write(
            ("seq=" + i + " GET /?n=" + i + " 200 5 0.1 req\n").getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /** logrotate's default: shift access.log.N, rename access.log to .1, then a new file. */
  void rotateByRename() throws IOException {
    for (int k = 4; k >= 1; k--) {
      Path from = log().resolveSibling("access.log." + k);
      if (Files.exists(from)) {
        Files.move(
            from,
            log().resolveSibling("access.log." + (k + 1)),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(log(), log().resolveSibling("access.log.1"));
  }

  void copyTruncate() throws IOException {
    Files.copy(log(), log().resolveSibling("access.log.1"), StandardCopyOption.REPLACE_EXISTING);
    try (var channel = java.nio.channels.FileChannel.open(log(), StandardOpenOption.WRITE)) {
      channel.truncate(0);
    }
  }

  static void assertExactlyOnce(Map<Long, Long> seen, long count) {
    assertThat(seen).hasSize((int) count);
    assertThat(seen.values()).containsOnly(1L);
  }

  void awaitLines(List<Path> outputs, long count) {
    await().atMost(WAIT).until(() -> LoggerProcess.sequences(outputs).size() >= count);
  }

  @Test
  void rotationByRenameUnderContinuousWritesGivesEveryLineExactlyOnce() throws Exception {
    write(0, 1);
    try (LoggerProcess logger = LoggerProcess.start(work, log(), 1, Map.of())) {
      long n = 1;
      for (int round = 0; round < 10; round++) {
        write(n, n + 3000);
        n += 3000;
        rotateByRename();
        write(n, n + 1); // the new file gets its first line right away
        n += 1;
      }
      awaitLines(List.of(logger.stdout), n);
      assertExactlyOnce(LoggerProcess.sequences(List.of(logger.stdout)), n);
      assertThat(logger.metric("logger_rotations_total")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void copytruncateUnderContinuousWritesGivesEveryLineExactlyOnce() throws Exception {
    write(0, 1);
    try (LoggerProcess logger = LoggerProcess.start(work, log(), 1, Map.of())) {
      long n = 1;
      for (int round = 0; round < 10; round++) {
        for (int chunk = 0; chunk < 30; chunk++) { // 3000 lines over about 150 ms
          write(n, n + 100);
          n += 100;
          Thread.sleep(5);
        }
        copyTruncate(); // one copy is kept: a reader more than one rotation behind would lose
        write(n, n + 1);
        n += 1;
      }
      awaitLines(List.of(logger.stdout), n);
      assertExactlyOnce(LoggerProcess.sequences(List.of(logger.stdout)), n);
      assertThat(logger.metric("logger_truncations_total")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void sigtermAndARestartMidStreamGiveEveryLineExactlyOnce() throws Exception {
    write(0, 5000);
    LoggerProcess first = LoggerProcess.start(work, log(), 1, Map.of());
    awaitLines(List.of(first.stdout), 1000);
    write(5000, 8000);
    assertThat(first.stop()).isIn(0, 143);
    assertThat(first.log()).contains("checkpointed");
    write(8000, 9000);
    rotateByRename(); // rotated while the logger is down: it finishes the old file first
    write(9000, 10000);
    try (LoggerProcess second = LoggerProcess.start(work, log(), 2, Map.of())) {
      List<Path> both = List.of(first.stdout, second.stdout);
      awaitLines(both, 10000);
      assertExactlyOnce(LoggerProcess.sequences(both), 10000);
    }
  }

  @Test
  void killMinus9LosesNothingAndRepeatsLittle() throws Exception {
    write(0, 20000);
    LoggerProcess first = LoggerProcess.start(work, log(), 1, Map.of());
    awaitLines(List.of(first.stdout), 5000);
    first.kill();
    write(20000, 25000);
    try (LoggerProcess second = LoggerProcess.start(work, log(), 2, Map.of())) {
      List<Path> both = List.of(first.stdout, second.stdout);
      awaitLines(both, 25000);
      Map<Long, Long> seen = LoggerProcess.sequences(both);
      assertThat(seen).hasSize(25000);
      long repeated = seen.values().stream().filter(c -> c > 1).count();
      assertThat(repeated)
          .isLessThanOrEqualTo(20000); // at most what one checkpoint interval covers
    }
  }

  @Test
  void aFileCreatedAfterStartAndOneDeletedAndCreatedAgainAreFollowed() throws Exception {
    try (LoggerProcess logger = LoggerProcess.start(work, log(), 1, Map.of())) {
      write(0, 100);
      awaitLines(List.of(logger.stdout), 100);
      Files.delete(log());
      write(100, 200); // a new file, maybe with the same inode
      awaitLines(List.of(logger.stdout), 200);
      assertExactlyOnce(LoggerProcess.sequences(List.of(logger.stdout)), 200);
    }
  }

  @Test
  void aLastLineWithoutNewlineIsEmittedWhenIdleAndAnOverLongLineIsSplit() throws Exception {
    Files.createDirectories(log().getParent());
    String longLine = "x".repeat(5000);
    Files.writeString(log(), "first\n" + longLine + "\nno newline yet");
    try (LoggerProcess logger =
        LoggerProcess.start(work, log(), 1, Map.of("LOGGER_MAX_LINE_BYTES", "2048"))) {
      await()
          .atMost(WAIT)
          .until(() -> Files.readString(logger.stdout).contains("no newline yet\n"));
      List<String> lines = Files.readAllLines(logger.stdout);
      assertThat(lines.get(0)).isEqualTo("first");
      assertThat(lines.get(1)).startsWith("x".repeat(2048)).contains("[line split");
      assertThat(String.join("", lines.subList(1, 4)).replaceAll(" \\[line split[^\\]]*\\]", ""))
          .isEqualTo(longLine);
      assertThat(logger.metric("logger_long_lines_total")).isEqualTo(2);
    }
  }

  @Test
  void aCorruptCheckpointIsReportedAndReadingResumesFromTheStart() throws Exception {
    write(0, 100);
    Path state = Files.createDirectories(work.resolve("state"));
    LoggerProcess first = LoggerProcess.start(work, log(), 1, Map.of());
    awaitLines(List.of(first.stdout), 100);
    first.stop();
    try (var files = Files.list(state)) {
      for (Path checkpoint : files.toList()) {
        Files.writeString(checkpoint, "{\"checkpoint\": {\"offset\": 12}, \"crc\": \"bad\"}");
      }
    }
    try (LoggerProcess second = LoggerProcess.start(work, log(), 2, Map.of())) {
      awaitLines(List.of(second.stdout), 100); // nothing lost: read again from the start
      assertThat(second.log()).contains("is unusable");
      assertThat(second.process.isAlive()).isTrue();
    }
  }

  @Test
  void aSlowStdoutReaderHoldsTheLoggerBackWithoutLosingLines() throws Exception {
    write(0, 200_000);
    try (LoggerProcess logger = LoggerProcess.startPiped(work, log(), Map.of())) {
      List<String> lines = new ArrayList<>();
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(logger.process.getInputStream(), StandardCharsets.UTF_8))) {
        await().atMost(WAIT).until(() -> logger.metric("logger_bytes_behind") > 0);
        String line;
        while (lines.size() < 200_000 && (line = out.readLine()) != null) {
          lines.add(line);
          if (lines.size() % 20_000 == 0) {
            Thread.sleep(50); // a reader that keeps falling behind
          }
        }
      }
      assertThat(lines).hasSize(200_000);
      assertThat(lines.get(199_999)).startsWith("seq=199999 ");
    }
  }
}
