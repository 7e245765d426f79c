package io.podreload.logger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logger jar as a real process following real files: what reaches its stdout. */
class FollowToStdoutIT {
  @TempDir Path dir;

  private Path log() {
    return dir.resolve("access.log");
  }

  private Path out() {
    return dir.resolve("stdout.txt");
  }

  private Map<String, String> env() {
    return Map.of("LOGGER_FILES", log().toString(), "LOGGER_PARTIAL_LINE_TIMEOUT", "300ms");
  }

  private static ConditionFactory patiently() {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50));
  }

  private void awaitLines(LoggerProcess logger, int count) {
    patiently().until(() -> logger.lines().size() >= count);
  }

  @Test
  void aFileCreatedAfterStartAndRotatedByRenameUnderWritesIsWrittenExactlyOnce() throws Exception {
    try (LoggerProcess logger = LoggerProcess.start(dir, out(), env())) {
      patiently().until(() -> logger.get("/health") != null);
      try (SequenceWriter writer = new SequenceWriter(log())) {
        for (int round = 0; round < 6; round++) {
          int rotatedAt = writer.written();
          for (int burst = 0; burst < 5; burst++) {
            writer.write(1000);
          }
          // rotation happens while the logger is somewhere in the current file
          awaitLines(logger, rotatedAt + 1);
          writer.rotateByRename();
        }
        writer.write(1000);
        awaitLines(logger, writer.written());
        assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, writer.written()));
      }
      assertThat(logger.get("/prometheus")).contains("logger_rotations_total{output=\"stdout\"} 6");
      assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
    }
  }

  @Test
  void renameRotationsWhileTheLoggerIsFarBehindLoseNoFile() throws Exception {
    try (SequenceWriter writer = new SequenceWriter(log())) {
      writer.write(100_000);
      try (LoggerProcess logger = LoggerProcess.start(dir, null, env())) {
        // nobody reads the pipe yet: the logger has the first file open (it read lines from it;
        // bytes behind alone holds before its first look) and is stuck in it, far from its end
        patiently()
            .until(
                () -> {
                  String metrics = logger.get("/prometheus");
                  return sample(metrics, "logger_lines_read_total{") > 0
                      && bytesBehind(metrics) > 1_000_000;
                });
        // three rotations before it gets further: access.log.1 and .2 are written and renamed
        // on, and the first file's name is removed (the logger still holds it open)
        for (int i = 0; i < 3; i++) {
          writer.rotateByRename();
          writer.write(20_000);
        }
        PipeLines stdout = PipeLines.readFrom(logger.process);
        patiently()
            .untilAsserted(
                () ->
                    assertThat(stdout.lines())
                        .isEqualTo(SequenceWriter.expected(0, writer.written())));
        assertThat(logger.get("/prometheus"))
            .contains("logger_rotations_total{output=\"stdout\"} 3")
            .contains("logger_lost_files_total{output=\"stdout\"} 0");
      }
    }
  }

  @Test
  void renameRotationsWhileTheLoggerIsStoppedAreAllReadAfterItsRestart() throws Exception {
    try (SequenceWriter writer = new SequenceWriter(log())) {
      writer.write(1000);
      List<String> all = new ArrayList<>();
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-1.txt"), env())) {
        awaitLines(logger, 1000);
        assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
        all.addAll(logger.lines());
      }
      // the checkpoint's file becomes access.log.2; access.log.1 was never seen by the logger
      writer.rotateByRename();
      writer.write(1000);
      writer.rotateByRename();
      writer.write(1000);
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-2.txt"), env())) {
        patiently()
            .untilAsserted(
                () ->
                    assertThat(concat(all, logger.lines()))
                        .isEqualTo(SequenceWriter.expected(0, writer.written())));
      }
    }
  }

  @Test
  void aFileRotatedByCopyTruncateUnderWritesIsWrittenExactlyOnce() throws Exception {
    try (SequenceWriter writer = new SequenceWriter(log());
        LoggerProcess logger = LoggerProcess.start(dir, out(), env())) {
      for (int round = 0; round < 6; round++) {
        int rotatedAt = writer.written();
        for (int burst = 0; burst < 5; burst++) {
          writer.write(1000);
        }
        awaitLines(logger, rotatedAt + 1);
        writer.rotateByCopyTruncate();
      }
      writer.write(1000);
      awaitLines(logger, writer.written());
      assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, writer.written()));
      assertThat(logger.get("/prometheus"))
          .contains("logger_truncations_total{output=\"stdout\"} 6");
    }
  }

  @Test
  void aFileDeletedAndCreatedAgainIsFollowedFromItsStart() throws Exception {
    try (LoggerProcess logger = LoggerProcess.start(dir, out(), env())) {
      Files.writeString(log(), "first 1\nfirst 2\n");
      awaitLines(logger, 2);
      Files.delete(log());
      Files.writeString(log(), "second 1\n");
      awaitLines(logger, 3);
      assertThat(logger.lines()).containsExactly("first 1", "first 2", "second 1");
    }
  }

  @Test
  void aLastLineWithoutNewlineIsWrittenAfterTheIdleTimeout() throws Exception {
    Files.writeString(log(), "complete\nno newline yet");
    try (LoggerProcess logger = LoggerProcess.start(dir, out(), env())) {
      awaitLines(logger, 2);
      assertThat(logger.lines()).containsExactly("complete", "no newline yet");
    }
  }

  @Test
  void anOverLongLineIsSplitWithAMarkerAndCounted() throws Exception {
    String longLine = "x".repeat(2500);
    Files.writeString(log(), "before\n" + longLine + "\nafter\n");
    Map<String, String> env = new java.util.HashMap<>(env());
    env.put("LOGGER_MAX_LINE_BYTES", "1024");
    try (LoggerProcess logger = LoggerProcess.start(dir, out(), env)) {
      awaitLines(logger, 5);
      assertThat(logger.lines())
          .containsExactly(
              "before",
              "x".repeat(1024) + Output.SPLIT_MARKER,
              "x".repeat(1024) + Output.SPLIT_MARKER,
              "x".repeat(452),
              "after");
      assertThat(logger.get("/prometheus"))
          .contains("logger_long_lines_total{output=\"stdout\"} 1");
    }
  }

  @Test
  void jsonWrapsEachLineWithItsFileItsOffsetInThatFileAndTheTime() throws Exception {
    // lines of several lengths, an over-long one cut in pieces, then a rotation: the offsets are
    // where each line (or piece) starts in the file it was read from
    String longLine = "y".repeat(1500);
    String first =
        "GET / 200\n" + "GET /config 200 " + "z".repeat(300) + "\n" + longLine + "\nend\n";
    Files.writeString(log(), first);
    Map<String, String> env = new java.util.HashMap<>(env());
    env.put("LOGGER_FORMAT", "json");
    env.put("LOGGER_MAX_LINE_BYTES", "1024");
    try (LoggerProcess logger = LoggerProcess.start(dir, out(), env)) {
      awaitLines(logger, 5);
      Files.move(log(), dir.resolve("access.log.1"));
      Files.writeString(log(), "after rotation\nsecond\n");
      awaitLines(logger, 7);
      List<Map<?, ?>> docs = new ArrayList<>();
      for (String line : logger.lines()) {
        docs.add((Map<?, ?>) io.podreload.common.JsonTree.parse(line.getBytes(UTF_8)));
      }
      String[] texts = {
        "GET / 200",
        "GET /config 200 " + "z".repeat(300),
        "y".repeat(1024),
        "y".repeat(476),
        "end",
        "after rotation",
        "second"
      };
      long[] offsets = {0, 10, 327, 1351, 1828, 0, 15};
      assertThat(docs).hasSize(7);
      for (int i = 0; i < 7; i++) {
        Map<?, ?> doc = docs.get(i);
        assertThat(doc.get("line")).as("line %d", i).isEqualTo(texts[i]);
        assertThat(((Number) doc.get("offset")).longValue())
            .as("offset of line %d", i)
            .isEqualTo(offsets[i]);
        assertThat(doc.get("file")).isEqualTo(log().toString());
        assertThat(doc.get("split")).as("line %d", i).isEqualTo(i == 2 ? Boolean.TRUE : null);
        assertThat(java.time.Instant.parse((String) doc.get("time")))
            .isAfter(java.time.Instant.now().minusSeconds(120));
      }
    }
  }

  @Test
  void sigtermAndRestartMidStreamWriteEveryLineExactlyOnce() throws Exception {
    try (SequenceWriter writer = new SequenceWriter(log())) {
      AtomicBoolean keepWriting = new AtomicBoolean(true);
      CompletableFuture<Void> writing = writeWhile(writer, keepWriting);
      List<String> all = new ArrayList<>();
      for (int run = 0; run < 3; run++) {
        try (LoggerProcess logger =
            LoggerProcess.start(dir, dir.resolve("stdout-" + run + ".txt"), env())) {
          patiently().until(() -> logger.lines().size() > 500);
          assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
          all.addAll(logger.lines());
        }
      }
      keepWriting.set(false);
      writing.get(60, TimeUnit.SECONDS);
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-last.txt"), env())) {
        patiently()
            .untilAsserted(
                () ->
                    assertThat(concat(all, logger.lines()))
                        .isEqualTo(SequenceWriter.expected(0, writer.written())));
      }
    }
  }

  @Test
  void killMinus9LosesNothingAndRepeatsOnlyTheLastCheckpointInterval() throws Exception {
    try (SequenceWriter writer = new SequenceWriter(log())) {
      AtomicBoolean keepWriting = new AtomicBoolean(true);
      CompletableFuture<Void> writing = writeWhile(writer, keepWriting);
      List<String> first;
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-1.txt"), env())) {
        patiently().until(() -> logger.lines().size() > 2000 && checkpointSaved());
        logger.kill9();
        first = logger.lines();
      }
      keepWriting.set(false);
      writing.get(60, TimeUnit.SECONDS);
      List<String> expected = SequenceWriter.expected(0, writer.written());
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-2.txt"), env())) {
        patiently()
            .untilAsserted(
                () -> {
                  List<String> second = logger.lines();
                  assertThat(second).isNotEmpty();
                  // the restart resumes at the last checkpoint: it repeats only lines after it
                  int resumedAt = expected.indexOf(second.get(0));
                  assertThat(resumedAt).isGreaterThan(0).isLessThanOrEqualTo(first.size());
                  assertThat(first).isEqualTo(expected.subList(0, first.size()));
                  assertThat(second).isEqualTo(expected.subList(resumedAt, expected.size()));
                });
      }
    }
  }

  /**
   * A kill -9 before the first checkpoint makes the next start one without a checkpoint: it reads
   * the files rotated meanwhile from their start too, so it repeats what the first run put out and
   * loses nothing.
   */
  @Test
  void killMinus9BeforeTheFirstCheckpointLosesNoRotatedFile() throws Exception {
    Map<String, String> env =
        Map.of(
            "LOGGER_FILES", log().toString(),
            "LOGGER_PARTIAL_LINE_TIMEOUT", "300ms",
            "LOGGER_CHECKPOINT_INTERVAL", "60m");
    try (SequenceWriter writer = new SequenceWriter(log())) {
      writer.write(1000);
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-1.txt"), env)) {
        awaitLines(logger, 1000);
        writer.rotateByRename();
        writer.write(1000);
        awaitLines(logger, 2000);
        logger.kill9();
        assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, 2000));
      }
      assertThat(dir.resolve("state").resolve("stdout")).isEmptyDirectory();
      writer.rotateByRename(); // the first file becomes access.log.2, the second access.log.1
      writer.write(1000);
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-2.txt"), env)) {
        patiently()
            .untilAsserted(
                () ->
                    assertThat(logger.lines())
                        .isEqualTo(SequenceWriter.expected(0, writer.written())));
      }
    }
  }

  @Test
  void aCorruptCheckpointIsReportedAndReadingResumesFromTheStartOfTheFile() throws Exception {
    Files.writeString(log(), "one\ntwo\n");
    try (LoggerProcess logger = LoggerProcess.start(dir, out(), env())) {
      awaitLines(logger, 2);
      assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
    }
    Path checkpoint;
    try (var files = Files.list(dir.resolve("state").resolve("stdout"))) {
      checkpoint =
          files.filter(p -> p.toString().endsWith(".checkpoint")).findFirst().orElseThrow();
    }
    Files.writeString(checkpoint, "version=1\noffset=99999\ncrc32c=0\n");
    Files.writeString(log(), "three\n", java.nio.file.StandardOpenOption.APPEND);
    try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout-2.txt"), env())) {
      awaitLines(logger, 3);
      assertThat(logger.lines()).containsExactly("one", "two", "three");
      assertThat(logger.errors()).contains("is damaged");
      assertThat(logger.get("/health")).startsWith("200");
      assertThat(logger.get("/prometheus"))
          .contains("logger_checkpoint_errors_total{output=\"stdout\"} 1");
    }
  }

  @Test
  void aSlowStdoutReaderHoldsReadingBackAndLosesNothing() throws Exception {
    try (SequenceWriter writer = new SequenceWriter(log())) {
      writer.write(200_000);
    }
    try (LoggerProcess logger = LoggerProcess.start(dir, null, env())) {
      // nobody reads the pipe: the logger stops reading and reports how far behind it is
      patiently()
          .until(
              () -> {
                String metrics = logger.get("/prometheus");
                return metrics != null && bytesBehind(metrics) > 1_000_000;
              });
      List<String> read = new ArrayList<>();
      try (BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(logger.process.getInputStream(), StandardCharsets.UTF_8))) {
        while (read.size() < 200_000) {
          String line = reader.readLine();
          assertThat(line).isNotNull();
          read.add(line);
        }
      }
      assertThat(read).isEqualTo(SequenceWriter.expected(0, 200_000));
    }
  }

  private boolean checkpointSaved() throws IOException {
    Path stdoutState = dir.resolve("state").resolve("stdout");
    if (!Files.isDirectory(stdoutState)) {
      return false;
    }
    try (var files = Files.list(stdoutState)) {
      return files.anyMatch(p -> p.toString().endsWith(".checkpoint"));
    }
  }

  private static long bytesBehind(String metrics) {
    return sample(metrics, "logger_bytes_behind{");
  }

  /** The value of the first sample whose line starts with {@code prefix}, or 0. */
  private static long sample(String metrics, String prefix) {
    if (metrics == null) {
      return 0;
    }
    for (String line : metrics.split("\n")) {
      if (line.startsWith(prefix)) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** The app's pace: bursts of lines while the logger runs, stops and restarts. */
  private static CompletableFuture<Void> writeWhile(SequenceWriter writer, AtomicBoolean keep) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            while (keep.get()) {
              writer.write(200);
              TimeUnit.MILLISECONDS.sleep(20); // the writer's pace, not a wait for a result
            }
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }
}
