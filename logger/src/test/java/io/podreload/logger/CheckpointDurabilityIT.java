package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint survives a power cut: the logger's own system calls, traced by strace, show each
 * checkpoint written to a temp file, fsynced, renamed over the old one, and the directory that
 * holds the rename fsynced after it.
 */
class CheckpointDurabilityIT {
  @TempDir Path dir;

  private static final Pattern CALL =
      Pattern.compile(
          "^(\\d+)\\s+(openat|fsync|fdatasync|rename\\w*|close)\\((.*)\\)\\s+=\\s+(-?\\d+)");

  @Test
  void everyCheckpointRenameIsFollowedByAnFsyncOfItsDirectory() throws Exception {
    Path log = dir.resolve("access.log");
    Path trace = dir.resolve("strace.txt");
    Path state = dir.resolve("state");
    try (SequenceWriter writer = new SequenceWriter(log);
        LoggerProcess logger =
            LoggerProcess.startUnder(
                List.of(
                    "strace",
                    "-f",
                    "-qq",
                    "-e",
                    "trace=openat,fsync,fdatasync,rename,renameat,renameat2,close",
                    "-o",
                    trace.toString()),
                dir,
                dir.resolve("stdout.txt"),
                Map.of(
                    "LOGGER_FILES", log.toString(),
                    "LOGGER_STATE_DIR", state.toString(),
                    "LOGGER_CHECKPOINT_INTERVAL", "100ms"))) {
      writer.write(100);
      await().atMost(Duration.ofSeconds(60)).until(() -> logger.lines().size() >= 100);
      // SIGTERM to the logger itself (strace would only pass a signal of its own on as SIGKILL)
      logger.process.children().forEach(ProcessHandle::destroy);
      assertThat(logger.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(logger.process.exitValue()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
    }
    String checkpointDir = state.resolve("stdout").toString();
    // per thread: which fd is the checkpoint directory, and whether a rename waits for its fsync
    Map<String, String> dirFd = new HashMap<>();
    Map<String, Boolean> renamePending = new HashMap<>();
    int renames = 0;
    int synced = 0;
    for (String line : joinInterrupted(Files.readAllLines(trace))) {
      Matcher m = CALL.matcher(line);
      if (!m.find()) {
        continue;
      }
      String thread = m.group(1);
      String call = m.group(2);
      String args = m.group(3);
      String result = m.group(4);
      if (call.equals("openat") && args.contains("\"" + checkpointDir + "\"")) {
        dirFd.put(thread, result);
      } else if (call.startsWith("rename") && args.contains(".checkpoint\"")) {
        renames++;
        renamePending.put(thread, true);
      } else if (call.startsWith("f")
          && args.equals(dirFd.get(thread))
          && renamePending.getOrDefault(thread, false)) {
        synced++;
        renamePending.put(thread, false);
      }
    }
    assertThat(renames).as("checkpoints saved (trace in %s)", trace).isPositive();
    assertThat(synced)
        .as("directory fsyncs after a rename (trace in %s)", trace)
        .isEqualTo(renames);
  }

  private static final Pattern UNFINISHED =
      Pattern.compile("^(\\d+)\\s+(.*) <unfinished \\.\\.\\.>$");
  private static final Pattern RESUMED =
      Pattern.compile("^(\\d+)\\s+<\\.\\.\\. \\w+ resumed>(.*)$");

  /**
   * strace splits a call that another thread interrupts into {@code pid call(args <unfinished ...>}
   * and a later {@code pid <... call resumed>rest}: put each back into one line.
   */
  static List<String> joinInterrupted(List<String> lines) {
    Map<String, String> started = new HashMap<>();
    List<String> joined = new java.util.ArrayList<>();
    for (String line : lines) {
      Matcher unfinished = UNFINISHED.matcher(line);
      Matcher resumed = RESUMED.matcher(line);
      if (unfinished.matches()) {
        started.put(unfinished.group(1), unfinished.group(1) + " " + unfinished.group(2));
      } else if (resumed.matches() && started.containsKey(resumed.group(1))) {
        joined.add(started.remove(resumed.group(1)) + resumed.group(2));
      } else {
        joined.add(line);
      }
    }
    return joined;
  }
}
