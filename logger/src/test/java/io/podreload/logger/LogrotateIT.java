package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's own logrotate (installed by .ci/run) rotates the followed file under a writer that does
 * not pause, in its two modes, with a SIGTERM and a restart of the logger between rotations.
 *
 * <p>{@code create}: the file is renamed and a new one created, and the writer reopens the name
 * when postrotate tells it to, so its last lines go to the renamed file: every line comes out
 * exactly once. {@code copytruncate}: the file is copied, then truncated; what the writer writes
 * between the copy and the truncation is in neither (logrotate's own loss, documented in its
 * manual), so lines may be missing there, at most one run of them per rotation, and nothing else.
 */
class LogrotateIT {
  @TempDir Path dir;

  private static final int ROTATIONS = 4;

  /** About 0.7 s of the writer's lines. */
  private static final int LINES_BETWEEN_ROTATIONS = 12_000;

  /** logrotate runs: one per round and one while the logger is down. */
  private int rotations;

  @Test
  void createModeUnderAWriterAndARestartWritesEveryLineExactlyOnce() throws Exception {
    List<Integer> out = rotateUnderWriter("create");
    int written = out.remove(out.size() - 1);
    assertThat(runs(out))
        .as("runs of lines out, in order, each once")
        .isEqualTo("0.." + (written - 1));
  }

  @Test
  void copyTruncateModeUnderAWriterAndARestartRepeatsNothingAndLosesOnlyLogrotatesWindow()
      throws Exception {
    List<Integer> out = rotateUnderWriter("copytruncate");
    int written = out.remove(out.size() - 1);
    assertThat(out).as("in order, none repeated").isSorted().doesNotHaveDuplicates();
    assertThat(out.get(out.size() - 1)).isEqualTo(written - 1);
    // each run of missing lines is one copy-to-truncation window: at most one per logrotate run
    String runs = runs(out);
    int missingRuns = runs.split(" ").length - 1 + (out.get(0) == 0 ? 0 : 1);
    assertThat(missingRuns)
        .as(
            "runs of missing lines (%d of %d lines missing; out: %s)",
            written - out.size(), written, runs)
        .isLessThanOrEqualTo(rotations);
  }

  /**
   * The sequence numbers that came out, and last, how many were written. The writer starts with the
   * logger, so the first rotation may come before the logger's first look at the file (a start
   * without a checkpoint reads the files rotated before it) or after.
   */
  private List<Integer> rotateUnderWriter(String mode) throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Path log = logs.resolve("access.log");
    Path reopen = dir.resolve("reopen");
    Path conf = dir.resolve("logrotate.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            log + " {",
            "  rotate 10",
            "  " + mode,
            "  missingok",
            "  nocompress",
            "  postrotate",
            "    touch " + reopen,
            "  endscript",
            "}",
            ""));
    Path stdout = dir.resolve("stdout.txt");
    Map<String, String> env = Map.of("LOGGER_FILES", log.toString());
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger written = new AtomicInteger();
    SequenceWriter writer = new SequenceWriter(log);
    Thread app =
        new Thread(
            () -> {
              try {
                while (writing.get()) {
                  writer.write(20);
                  written.set(writer.written());
                  if (Files.deleteIfExists(reopen)) {
                    writer.reopen(); // the app's answer to postrotate's signal
                  }
                  Thread.sleep(1); // the app's pace: some 20 lines a millisecond
                }
                writer.close();
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            },
            "app");
    LoggerProcess logger = LoggerProcess.start(dir, stdout, env);
    try {
      app.start();
      for (int r = 0; r < ROTATIONS; r++) {
        awaitMoreLines(written, LINES_BETWEEN_ROTATIONS);
        logrotate(conf);
        if (r == ROTATIONS / 2 - 1) {
          assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
          // lines and a rotation while it is down
          awaitMoreLines(written, LINES_BETWEEN_ROTATIONS / 2);
          logrotate(conf);
          awaitMoreLines(written, LINES_BETWEEN_ROTATIONS / 2);
          logger = LoggerProcess.start(dir, stdout, env);
        }
      }
      awaitMoreLines(written, LINES_BETWEEN_ROTATIONS);
      writing.set(false);
      app.join();
      int total = writer.written();
      LoggerProcess running = logger;
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> last(running.lines()) == total - 1);
      assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
      List<Integer> numbers = new ArrayList<>();
      for (String line : logger.lines()) {
        numbers.add(number(line));
      }
      numbers.add(total);
      return numbers;
    } finally {
      writing.set(false);
      logger.close();
    }
  }

  private static void awaitMoreLines(AtomicInteger written, int more) {
    int target = written.get() + more;
    await().atMost(Duration.ofSeconds(60)).until(() -> written.get() >= target);
  }

  /** {@code 0..9 12..20}: the runs of consecutive numbers, so a failure says what is missing. */
  private static String runs(List<Integer> numbers) {
    StringBuilder runs = new StringBuilder();
    int start = 0;
    for (int i = 1; i <= numbers.size(); i++) {
      if (i == numbers.size() || numbers.get(i) != numbers.get(i - 1) + 1) {
        runs.append(runs.length() == 0 ? "" : " ");
        runs.append(numbers.get(start)).append("..").append(numbers.get(i - 1));
        start = i;
      }
    }
    return runs.toString();
  }

  private void logrotate(Path conf) throws Exception {
    Process p =
        new ProcessBuilder(
                "logrotate", "-f", "-s", dir.resolve("logrotate.state").toString(), conf.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("logrotate: %s", out).isZero();
    rotations++;
  }

  private static int last(List<String> lines) {
    return lines.isEmpty() ? -1 : number(lines.get(lines.size() - 1));
  }

  private static int number(String line) {
    return Integer.parseInt(line.substring(4, 12));
  }
}
