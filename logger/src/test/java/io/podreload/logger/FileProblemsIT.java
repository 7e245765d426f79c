package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logger as another user than the writer (as in the pod): files that appear late, empty or
 * unreadable, a directory that is unreadable for a while, an output that hangs. It reports each
 * problem and carries on once it is gone.
 */
class FileProblemsIT {
  @TempDir Path dir;

  private Path logs() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxr-xr-x"));
    return logs;
  }

  private static ConditionFactory patiently() {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50));
  }

  private static String health(LoggerProcess logger) {
    String h = logger.get("/health");
    return h == null ? "" : h;
  }

  @Test
  void aFileCreatedEmptyAfterStartAndWrittenLaterIsFollowed() throws Exception {
    Path log = logs().resolve("access.log");
    try (LoggerProcess logger =
        LoggerProcess.startAsNobody(
            dir, dir.resolve("stdout.txt"), Map.of("LOGGER_FILES", log.toString()))) {
      patiently().until(() -> health(logger).contains("waiting for " + log));
      Files.createFile(log); // the app creates it first, and writes its first line later
      patiently().until(() -> health(logger).contains("\"problem\":null"));
      try (SequenceWriter writer = new SequenceWriter(log)) {
        writer.write(1000);
        patiently().until(() -> logger.lines().size() >= 1000);
        assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, 1000));
      }
      assertThat(health(logger)).startsWith("200");
    }
  }

  @Test
  void aFileThatAppearsUnreadableIsFollowedOnceItIsReadable() throws Exception {
    Path log = logs().resolve("access.log");
    try (LoggerProcess logger =
        LoggerProcess.startAsNobody(
            dir, dir.resolve("stdout.txt"), Map.of("LOGGER_FILES", log.toString()))) {
      patiently().until(() -> health(logger).contains("waiting for " + log));
      Files.createFile(
          log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("---------")));
      Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("---------"));
      patiently().until(() -> health(logger).contains("permission denied for uid 65534"));
      try (SequenceWriter writer = new SequenceWriter(log)) {
        writer.write(500);
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-r--r--"));
        writer.write(500);
        patiently().until(() -> logger.lines().size() >= 1000);
        assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, 1000));
      }
      assertThat(health(logger)).startsWith("200").contains("\"problem\":null");
    }
  }

  @Test
  void aDirectoryUnreadableForAWhileIsReportedAndReadingGoesOnAfterwards() throws Exception {
    Path logs = logs();
    Path log = logs.resolve("access.log");
    try (SequenceWriter writer = new SequenceWriter(log);
        LoggerProcess logger =
            LoggerProcess.startAsNobody(
                dir, dir.resolve("stdout.txt"), Map.of("LOGGER_FILES", log.toString()))) {
      writer.write(100);
      patiently().until(() -> logger.lines().size() >= 100);
      Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("---------"));
      try {
        patiently().until(() -> health(logger).contains("AccessDenied"));
        writer.write(100);
      } finally {
        Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      writer.write(100);
      patiently()
          .untilAsserted(
              () -> assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, 300)));
      patiently().until(() -> health(logger).startsWith("200"));
      assertThat(logger.errors()).contains("can be read again");
    }
  }

  @Test
  void anOutputStuckInAWriteIsReportedDownUntilItMovesAgain() throws Exception {
    Path log = logs().resolve("access.log");
    try (SequenceWriter writer = new SequenceWriter(log)) {
      writer.write(200_000);
    }
    try (LoggerProcess logger =
        LoggerProcess.start(
            dir, null, Map.of("LOGGER_FILES", log.toString(), "LOGGER_STALL_TIMEOUT", "1s"))) {
      // nobody reads its stdout: the write blocks
      patiently()
          .until(() -> health(logger).startsWith("503") && health(logger).contains("silent for"));
      // a stuck thread is the liveness probe's business, not the readiness probe's
      assertThat(logger.get("/health/liveness")).startsWith("503");
      assertThat(logger.get("/health/readiness")).startsWith("200");
      PipeLines stdout = PipeLines.readFrom(logger.process);
      patiently()
          .untilAsserted(
              () -> assertThat(stdout.lines()).isEqualTo(SequenceWriter.expected(0, 200_000)));
      patiently().until(() -> health(logger).startsWith("200"));
    }
  }
}
