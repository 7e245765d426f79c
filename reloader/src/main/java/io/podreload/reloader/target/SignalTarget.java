package io.podreload.reloader.target;

import io.podreload.common.ReloadStatus;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.signal.ProcessTable;
import io.podreload.reloader.signal.ReloadTrigger;
import io.podreload.reloader.signal.TriggerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The app as a process in the pod's shared PID namespace ({@code RELOADER_TARGET=signal}): found by
 * its command line, ready once it has acknowledged a load in the status file since it started,
 * reloaded by a signal to that process only ({@link ReloadTrigger}), confirmed by its next status.
 */
public final class SignalTarget implements AppTarget {

  private final ReloadTrigger trigger;
  private final ProcessTable processes;
  private final Path procRoot;
  private final StatusFileAnswers status;

  /** The process that acknowledged: its pid and start time, the only process signalled. */
  private ReloadTrigger.Acknowledged acknowledged;

  private String unreadableStart;

  public SignalTarget(ReloaderSettings settings, ReloadTrigger trigger) {
    this.trigger = trigger;
    this.procRoot = settings.procRoot();
    this.processes = new ProcessTable(procRoot);
    this.status = new StatusFileAnswers(settings.statusFile(), settings.confirmTimeout());
  }

  @Override
  public Optional<Long> find() {
    trigger.recheck();
    List<Long> targets = trigger.targets();
    return targets.isEmpty() ? Optional.empty() : Optional.of(targets.get(0));
  }

  @Override
  public Optional<Answer> serving(Map<String, String> expected) {
    Optional<ReloadStatus> now = status.read();
    // A (restarted) app that already loaded exactly this content: nothing to signal. (The content
    // first: on the signal's path it differs, and /proc is not read.)
    return now.filter(s -> StatusFileAnswers.reports(s, expected) && isAlive(s.pid()))
        .map(StatusFileAnswers::answer);
  }

  /**
   * Ready once a matching process has written a status since it started. A new app process that has
   * not yet is starting: it reads the current content by itself, and may not catch the signal yet
   * (a JVM's default handler makes SigCgt show SIGHUP as caught even then, and the signal would
   * kill it). With no matching process at all, the trigger says so.
   */
  @Override
  public Readiness readiness() {
    Optional<ReloadStatus> now = status.read();
    if (stillAcknowledged(now)) {
      return Readiness.READY; // checked when it first acknowledged; the trigger checks the rest
    }
    List<Long> targets = trigger.targets();
    if (targets.isEmpty() || acknowledgedBy(now, targets)) {
      return Readiness.READY;
    }
    return Readiness.starting(
        unreadableStart != null
            ? unreadableStart
            : "the app (pid "
                + targets
                + ") has not written "
                + status.file()
                + " since it started; is APP_STATUS_FILE the same file as RELOADER_STATUS_FILE?");
  }

  @Override
  public Attempt trigger() throws TriggerException {
    Optional<ReloadStatus> before = status.read();
    boolean ack = stillAcknowledged(before) || acknowledgedBy(before, trigger.targets());
    List<Long> pids;
    try {
      pids = trigger.trigger(ack ? acknowledged : null);
    } catch (TriggerException e) {
      if (e.reason() == TriggerException.Reason.NO_TARGET) {
        acknowledged = null; // gone or replaced: the next process must acknowledge first
      }
      throw e;
    }
    return new Attempt(pids.get(0), pids.size(), "pid " + pids, before);
  }

  @Override
  @SuppressWarnings("unchecked")
  public Answer confirm(Attempt attempt, Map<String, String> expected, BooleanSupplier newer) {
    return status.await(
        (Optional<ReloadStatus>) attempt.state(),
        expected,
        newer,
        "the app ("
            + attempt.who()
            + ") did not acknowledge within "
            + status.timeout().toMillis()
            + " ms in "
            + status.file()
            + "; retrying (is APP_STATUS_FILE the same file as RELOADER_STATUS_FILE?)");
  }

  /** The status still names the process that acknowledged before: no /proc read needed. */
  private boolean stillAcknowledged(Optional<ReloadStatus> now) {
    return acknowledged != null && now.isPresent() && now.get().pid() == acknowledged.pid();
  }

  /**
   * Whether the status file was written by one of these processes, since it started. Its start time
   * is kept: the trigger signals only a process started then. Fails closed: a start time that
   * cannot be read is no acknowledgement.
   */
  private boolean acknowledgedBy(Optional<ReloadStatus> now, List<Long> targets) {
    if (now.isEmpty() || !targets.contains(now.get().pid())) {
      return false;
    }
    long pid = now.get().pid();
    if (acknowledged != null && pid == acknowledged.pid()) {
      // Checked once for this process; the trigger checks its start time again before a signal.
      return true;
    }
    Optional<Instant> started = processes.startedAt(pid);
    if (started.isEmpty()) {
      unreadableStart = "cannot read the start time of pid " + pid + " in /proc: not signalling it";
      return false;
    }
    unreadableStart = null;
    try {
      boolean ack = !Instant.parse(now.get().at()).isBefore(started.get());
      if (ack) {
        acknowledged = new ReloadTrigger.Acknowledged(pid, started.get());
      }
      return ack;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean isAlive(long pid) {
    return Files.isDirectory(procRoot.resolve(Long.toString(pid)));
  }
}
