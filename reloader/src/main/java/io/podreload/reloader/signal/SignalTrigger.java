package io.podreload.reloader.signal;

import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.signal.ProcessTable.Process;
import io.podreload.reloader.signal.TriggerException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.regex.Pattern;
import jnr.constants.platform.Errno;
import jnr.constants.platform.Signal;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the reload signal to the app through the pod's shared PID namespace: to the pid that the
 * status file names, once its command line matches and its start time is the one read when it first
 * acknowledged, through a pidfd where the kernel has them (never a reused pid); checks that it
 * catches the signal. With RELOADER_SIGNAL_ALL, to every process whose command line matches.
 */
public final class SignalTrigger implements ReloadTrigger {

  private static final Logger LOG = LoggerFactory.getLogger(SignalTrigger.class);

  private final ProcessTable processes;
  private final Pattern target;
  private final String signalName;
  private final int signal;
  private final boolean signalAll;
  private final boolean dryRun;
  private final Kill kill;
  private final long self;
  private static final long CACHE_NANOS = 5_000_000_000L;
  private volatile List<Process> known = List.of();
  private volatile long knownAt;

  /**
   * The acknowledged process once it has been signalled after every check: pinned by a pidfd, so
   * the next signals go straight through it, with no /proc read on their path. Its SigCgt and
   * command line are checked again off the path ({@link #recheck()}). Reconcile thread only.
   */
  private Verified verified;

  private record Verified(Acknowledged process, long pin) {}

  /** kill(2), behind an interface so that the process table can be a test tree. */
  @FunctionalInterface
  public interface Kill {
    /** Returns 0, or the errno. */
    int kill(long pid, int signal);

    /**
     * Sends {@code signal} to {@code pid} only if {@code same} (checked after the process was
     * pinned, where the kernel can pin it) still holds. Returns 0, the errno, or {@link
     * #NOT_THE_SAME} when the check failed.
     */
    default int killIfSame(long pid, int signal, java.util.function.BooleanSupplier same) {
      return same.getAsBoolean() ? kill(pid, signal) : NOT_THE_SAME;
    }

    /** killIfSame's answer when the process at that pid is not the one acknowledged. */
    int NOT_THE_SAME = -1;

    /**
     * Pins {@code pid}: a handle that signals exactly that process, never one that reuses its pid
     * (a pidfd); negative where the kernel has none.
     */
    default long pin(long pid) {
      return -1;
    }

    /** Sends {@code signal} through a pin: 0, or the errno (ESRCH once the process exited). */
    default int sendPinned(long pin, int signal) {
      return Errno.ESRCH.intValue();
    }

    default void unpin(long pin) {}

    /**
     * kill(2) through jnr-posix. Binding the native library takes a few hundred milliseconds, so it
     * happens on a thread of its own while the reloader starts; the first signal waits for it.
     */
    static Kill posix() {
      FutureTask<POSIX> binding = new FutureTask<>(POSIXFactory::getNativePOSIX);
      Thread thread = new Thread(binding, "posix-binding");
      thread.setDaemon(true);
      thread.start();
      Pidfd pidfd = Pidfd.bind();
      return new Kill() {
        @Override
        public int kill(long pid, int signal) {
          POSIX posix;
          try {
            posix = binding.get();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding kill(2)", e);
          } catch (ExecutionException e) {
            throw new IllegalStateException("cannot bind kill(2) through jnr-posix", e.getCause());
          }
          return posix.kill((int) pid, signal) == 0 ? 0 : posix.errno();
        }

        @Override
        public long pin(long pid) {
          return pidfd == null ? -1 : pidfd.open(pid);
        }

        @Override
        public int sendPinned(long pin, int signal) {
          return pidfd.send(pin, signal);
        }

        @Override
        public void unpin(long pin) {
          pidfd.close(pin);
        }

        @Override
        public int killIfSame(long pid, int signal, java.util.function.BooleanSupplier same) {
          // pidfd_open pins the process: checked after it, the pid cannot be reused in between.
          return pidfd == null
              ? Kill.super.killIfSame(pid, signal, same)
              : pidfd.killIfSame(pid, signal, same, this);
        }
      };
    }
  }

  public SignalTrigger(ReloaderSettings settings, ProcessTable processes, Kill kill, long self) {
    this.processes = processes;
    this.target = settings.targetPattern();
    this.signalName = "SIG" + settings.signal();
    this.signal = Signal.valueOf(signalName).intValue();
    this.signalAll = settings.signalAll();
    this.dryRun = settings.dryRun();
    this.kill = kill;
    this.self = self;
  }

  @Override
  public List<Long> targets() {
    return matching().stream().map(Process::pid).toList();
  }

  /**
   * The targets. A scan reads every process's command line; on the signal's path the last scan is
   * reused while it is recent and every process it found still runs the same command.
   */
  private List<Process> matching() {
    List<Process> cached = known;
    if (!cached.isEmpty()
        && System.nanoTime() - knownAt < CACHE_NANOS
        && cached.stream()
            .allMatch(p -> processes.cmdline(p.pid()).map(p.cmdline()::equals).orElse(false))) {
      return cached;
    }
    List<Process> found = processes.find(target, self);
    known = found;
    knownAt = System.nanoTime();
    return found;
  }

  /**
   * Signals the process that acknowledged, and only that one (unless RELOADER_SIGNAL_ALL): its pid
   * from the status file, its command line still matching and its start time the one read when it
   * first acknowledged, so that a pid reused by another process is never signalled. Fails closed
   * when any of it cannot be read.
   */
  @Override
  public List<Long> trigger(Acknowledged acknowledged) throws TriggerException {
    if (signalAll) {
      return trigger();
    }
    if (acknowledged == null) {
      List<Process> found = matching();
      throw new TriggerException(
          Reason.NO_TARGET,
          found.isEmpty()
              ? noTargetMessage()
              : "pid "
                  + found.get(0).pid()
                  + " matches but has not acknowledged a load in the status file yet");
    }
    long pid = acknowledged.pid();
    if (verified != null && verified.process().equals(acknowledged) && !dryRun) {
      int errno = kill.sendPinned(verified.pin(), signal);
      if (errno == 0) {
        return List.of(pid);
      }
      unpin(); // gone, or something else: every check again, from the start
      if (errno == Errno.ESRCH.intValue()) {
        throw new TriggerException(Reason.NO_TARGET, "pid " + pid + " exited (ESRCH)");
      }
    }
    String cmdline = processes.cmdline(pid).orElse(null);
    if (cmdline == null || !target.matcher(cmdline).find()) {
      throw new TriggerException(
          Reason.NO_TARGET,
          "pid "
              + pid
              + " named by the status file is gone or no longer matches"
              + " RELOADER_TARGET_CMDLINE; waiting for the app to acknowledge again");
    }
    send(new Process(pid, cmdline), () -> sameProcess(acknowledged));
    pin(acknowledged);
    return List.of(pid);
  }

  /** Keeps a pin on a process that passed every check, checked again once pinned. */
  private void pin(Acknowledged acknowledged) {
    if (dryRun || (verified != null && verified.process().equals(acknowledged))) {
      return;
    }
    unpin();
    long pin = kill.pin(acknowledged.pid());
    if (pin < 0) {
      return;
    }
    if (sameProcess(acknowledged)) {
      verified = new Verified(acknowledged, pin);
    } else {
      kill.unpin(pin);
    }
  }

  private void unpin() {
    if (verified != null) {
      kill.unpin(verified.pin());
      verified = null;
    }
  }

  /**
   * Off the signal's path (an idle tick): the pinned process must still catch the signal and match
   * the command line, or it is signalled again only after every check.
   */
  @Override
  public void recheck() {
    if (verified == null) {
      return;
    }
    long pid = verified.process().pid();
    boolean stillOk =
        processes.catches(pid, signal).orElse(false)
            && processes.cmdline(pid).map(c -> target.matcher(c).find()).orElse(false);
    if (!stillOk) {
      unpin();
    }
  }

  /** The process now at the pid is the one that acknowledged: same start time, still matching. */
  private boolean sameProcess(Acknowledged acknowledged) {
    return processes
            .startedAt(acknowledged.pid())
            .map(acknowledged.startedAt()::equals)
            .orElse(false) // fail closed: unreadable is not the same
        && processes.cmdline(acknowledged.pid()).map(c -> target.matcher(c).find()).orElse(false);
  }

  private String noTargetMessage() {
    return "no process matches RELOADER_TARGET_CMDLINE '"
        + target
        + "' (the app is not running yet, or restarting; without shareProcessNamespace:"
        + " true the reloader cannot see it)";
  }

  @Override
  public List<Long> trigger() throws TriggerException {
    List<Process> targets = matching();
    if (targets.isEmpty()) {
      throw new TriggerException(Reason.NO_TARGET, noTargetMessage());
    }
    if (targets.size() > 1 && !signalAll) {
      throw new TriggerException(
          Reason.AMBIGUOUS,
          targets.size()
              + " processes match RELOADER_TARGET_CMDLINE '"
              + target
              + "': "
              + targets
              + "; make the pattern more specific or set RELOADER_SIGNAL_ALL=true");
    }
    List<Long> signalled = new ArrayList<>();
    TriggerException failure = null;
    for (Process process : targets) {
      try {
        send(process, () -> true);
        signalled.add(process.pid());
      } catch (TriggerException e) {
        failure = e;
      }
    }
    if (signalled.isEmpty()) {
      throw failure;
    }
    if (failure != null) {
      LOG.warn("signalled {} but not every target: {}", signalled, failure.getMessage());
    }
    return signalled;
  }

  private void send(Process process, java.util.function.BooleanSupplier same)
      throws TriggerException {
    Boolean caught = processes.catches(process.pid(), signal).orElse(null);
    if (caught == null) {
      throw new TriggerException(Reason.NO_TARGET, "pid " + process.pid() + " has exited");
    }
    if (!caught) {
      throw new TriggerException(
          Reason.NOT_CAUGHT,
          "pid "
              + process.pid()
              + " ("
              + abbreviate(process.cmdline())
              + ") does not catch "
              + signalName
              + ": it would die of it, so it is not sent. A JVM catches it only once the app"
              + " installed its handler (it may still be starting); otherwise fix"
              + " RELOADER_TARGET_CMDLINE, it may match the wrong process");
    }
    if (dryRun) {
      LOG.info(
          "dry run: would send {} to pid {} ({})",
          signalName,
          process.pid(),
          abbreviate(process.cmdline()));
      return;
    }
    int errno;
    try {
      errno = kill.killIfSame(process.pid(), signal, same);
    } catch (IllegalStateException e) {
      throw new TriggerException(
          Reason.FAILED,
          e.getMessage()
              + (e.getCause() == null ? "" : ": " + e.getCause())
              + "; the image needs a JRE that can load jnr-posix's native stub (glibc)");
    }
    if (errno == 0) {
      return;
    }
    if (errno == Kill.NOT_THE_SAME) {
      throw new TriggerException(
          Reason.NO_TARGET,
          "pid "
              + process.pid()
              + " is not the process that acknowledged (it restarted, or its start time cannot be"
              + " read): not signalled");
    }
    if (errno == Errno.EPERM.intValue()) {
      throw new TriggerException(
          Reason.PERMISSION,
          "not permitted to send "
              + signalName
              + " to pid "
              + process.pid()
              + " (EPERM): a process may signal only processes of its own UID, so run the"
              + " reloader with the same runAsUser as the app (the restricted Pod Security"
              + " profile allows no capability for this)");
    }
    if (errno == Errno.ESRCH.intValue()) {
      throw new TriggerException(Reason.NO_TARGET, "pid " + process.pid() + " exited (ESRCH)");
    }
    throw new TriggerException(
        Reason.FAILED, "kill(" + process.pid() + ", " + signalName + ") failed: errno " + errno);
  }

  private static String abbreviate(String cmdline) {
    return cmdline.length() <= 120 ? cmdline : cmdline.substring(0, 117) + "...";
  }
}
