package io.podreload.reloader.target;

import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.reloader.target.AppTarget.Answer;
import io.podreload.reloader.target.AppTarget.Answer.Result;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app's answers in its status file ({@code RELOADER_STATUS_FILE}): what it serves, and whether
 * an attempt newer than a given one loaded the expected content. Shared by the targets that confirm
 * through the status file.
 */
final class StatusFileAnswers {

  private static final Logger LOG = LoggerFactory.getLogger(StatusFileAnswers.class);

  private final Path file;
  private final StatusFile.Reader reader;
  private final Duration timeout;

  StatusFileAnswers(Path file, Duration timeout) {
    this.file = file;
    this.reader = new StatusFile.Reader(file);
    this.timeout = timeout;
  }

  Path file() {
    return file;
  }

  Duration timeout() {
    return timeout;
  }

  /** The current status; empty when there is none yet or it cannot be read. */
  Optional<ReloadStatus> read() {
    try {
      return reader.read();
    } catch (IOException e) {
      LOG.debug("status file not readable yet: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Waits for an attempt newer than {@code before} that read the expected content, or newer content
   * when {@code newerPending}; UNANSWERED with {@code unanswered} after the timeout.
   */
  Answer await(
      Optional<ReloadStatus> before,
      Map<String, String> expected,
      BooleanSupplier newerPending,
      String unanswered) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<ReloadStatus> status = read();
      if (status.isPresent() && isNewer(status.get(), before)) {
        if (reports(status.get(), expected)) {
          return answer(status.get());
        }
        if (newerPending.getAsBoolean()) {
          return new Answer(Result.SUPERSEDED, null, who(status.get()));
        }
      }
      // Poll fast while an answer is likely (a reload takes milliseconds), then calmly.
      long elapsed = System.nanoTime() - start;
      LockSupport.parkNanos(elapsed < 100_000_000 ? 500_000 : 10_000_000);
    }
    return new Answer(Result.UNANSWERED, unanswered, null);
  }

  static Answer answer(ReloadStatus status) {
    return status.applied()
        ? new Answer(Result.APPLIED, null, who(status))
        : new Answer(Result.REJECTED, status.error(), who(status));
  }

  /** Whether the status reports exactly this content (a null hash: the dir must be absent). */
  static boolean reports(ReloadStatus status, Map<String, String> expected) {
    return expected.entrySet().stream()
        .allMatch(
            e ->
                e.getValue() == null
                    ? !status.sources().containsKey(e.getKey())
                    : e.getValue().equals(status.sources().get(e.getKey())));
  }

  private static boolean isNewer(ReloadStatus status, Optional<ReloadStatus> before) {
    return before.isEmpty()
        || status.pid() != before.get().pid()
        || status.attempt() > before.get().attempt();
  }

  private static String who(ReloadStatus status) {
    return "pid "
        + status.pid()
        + ", generation "
        + status.generation()
        + ", version "
        + status.version();
  }
}
