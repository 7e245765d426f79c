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
import org.junit.jupiter.api.Disabled;
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

  /** logrotate runs: one per round and one while the logger is down. */
  private int rotations;

  @Test
  @Disabled(
      "fails: the logger's stdout begins tens of thousands of lines in (the lines before the first"
          + " logrotate run are missing); not yet known whether the logger or this test is wrong")
  void createModeUnderAWriterAndARestartWritesEveryLineExactlyOnce() throws Exception {
    List<Integer> out = rotateUnderWriter("create");
    int written = out.remove(out.size() - 1);
    assertThat(out).as("lines out, in order, each once").isEqualTo(range(written));
  }

  @Test
  void copyTruncateModeUnderAWriterAndARestartRepeatsNothingAndLosesOnlyLogrotatesWindow()
      throws Exception {
    List<Integer> out = rotateUnderWriter("copytruncate");
    int written = out.remove(out.size() - 1);
    assertThat(out).as("in order, none repeated").isSorted().doesNotHaveDuplicates();
    assertThat(out.get(out.size() - 1)).isEqualTo(written - 1);
    int gaps = 0;
    for (int i = 1; i < out.size(); i++) {
      if (out.get(i) != out.get(i - 1) + 1) {
        gaps++;
      }
    }
    assertThat(gaps + (out.get(0) == 0 ? 0 : 1))
        .as("runs of missing lines (%d of %d lines missing)", written - out.size(), written)
        .isLessThanOrEqualTo(rotations);
  }

  /** The sequence numbers that came out, and last, how many were written. */
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
    int[] written = new int[1];
    SequenceWriter writer = new SequenceWriter(log);
    Thread app =
        new Thread(
            () -> {
              try {
                while (writing.get()) {
                  writer.write(20);
                  if (Files.deleteIfExists(reopen)) {
                    writer.reopen(); // the app's answer to postrotate's signal
                  }
                  Thread.sleep(1);
                }
                written[0] = writer.written();
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
        Thread.sleep(700);
        logrotate(conf);
        if (r == ROTATIONS / 2 - 1) {
          assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
          Thread.sleep(300); // lines and a rotation while it is down
          logrotate(conf);
          logger = LoggerProcess.start(dir, stdout, env);
        }
      }
      Thread.sleep(500);
      writing.set(false);
      app.join();
      LoggerProcess running = logger;
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> last(running.lines()) == written[0] - 1);
      assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
      List<Integer> numbers = new ArrayList<>();
      for (String line : logger.lines()) {
        numbers.add(number(line));
      }
      numbers.add(written[0]);
      return numbers;
    } finally {
      logger.close();
    }
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

  private static List<Integer> range(int n) {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(i);
    }
    return all;
  }
}
