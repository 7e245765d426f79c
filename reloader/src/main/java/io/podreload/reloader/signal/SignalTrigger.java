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
 * Sends the reload signal to the app through the pod's shared PID namespace: finds the target by
 * its command line (never by pid: the pause process is PID 1 and pids change on restart), checks
 * that it catches the signal, and sends it with kill(2).
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

  /** kill(2), behind an interface so that the process table can be a test tree. */
  @FunctionalInterface
  public interface Kill {
    /** Returns 0, or the errno. */
    int kill(long pid, int signal);

    /**
     * kill(2) through jnr-posix. Binding the native library takes a few hundred milliseconds, so it
     * happens on a thread of its own while the reloader starts; the first signal waits for it.
     */
    static Kill posix() {
      FutureTask<POSIX> binding = new FutureTask<>(POSIXFactory::getNativePOSIX);
      Thread thread = new Thread(binding, "posix-binding");
      thread.setDaemon(true);
      thread.start();
      return (pid, signal) -> {
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

  @Override
  public List<Long> trigger() throws TriggerException {
    List<Process> targets = matching();
    if (targets.isEmpty()) {
      throw new TriggerException(
          Reason.NO_TARGET,
          "no process matches RELOADER_TARGET_CMDLINE '"
              + target
              + "' (the app is not running yet, or restarting; without shareProcessNamespace:"
              + " true the reloader cannot see it)");
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
        send(process);
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

  private void send(Process process) throws TriggerException {
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
      errno = kill.kill(process.pid(), signal);
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
    if (errno == Errno.EPERM.intValue()) {
      throw new TriggerException(
          Reason.PERMISSION,
          "not permitted to send "
              + signalName
              + " to pid "
              + process.pid()
              + " (EPERM): run the reloader with the same runAsUser as the app, or give it the"
              + " CAP_KILL capability (never SYS_PTRACE)");
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
