package io.podreload.reloader.signal;

import com.kenai.jffi.Type;
import io.podreload.reloader.Libc;
import java.util.function.BooleanSupplier;

/**
 * pidfd_open(2) and pidfd_send_signal(2) (Linux 5.1 and 5.3), called as plain syscalls through jffi
 * ({@link Libc}): a pidfd pins one process, so a signal sent through it never reaches another
 * process that reused the pid.
 */
final class Pidfd {
  // The same numbers on every Linux architecture (the unified syscall table since 5.1).
  private static final long SYS_PIDFD_SEND_SIGNAL = 424;
  private static final long SYS_PIDFD_OPEN = 434;
  private static final int ENOSYS = 38;

  private final Libc.Function syscall;
  private final Libc.Function close;

  private Pidfd() {
    this.syscall =
        Libc.function(
            "syscall", Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG);
    this.close = Libc.function("close", Type.SINT, Type.SINT);
  }

  /** Null when the kernel has no pidfd_open (the caller falls back to kill after its check). */
  static Pidfd bind() {
    try {
      Pidfd pidfd = new Pidfd();
      long fd = pidfd.syscall(SYS_PIDFD_OPEN, ProcessHandle.current().pid(), 0);
      if (fd < 0) {
        return Libc.errno() == ENOSYS ? null : pidfd;
      }
      pidfd.close(fd);
      return pidfd;
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  private long syscall(long number, long a1, long a2) {
    return syscall.call(number, a1, a2, 0, 0);
  }

  /** Opens a pidfd on pid: the fd, or minus the errno. */
  long open(long pid) {
    long fd = syscall(SYS_PIDFD_OPEN, pid, 0);
    return fd >= 0 ? fd : -Libc.errno();
  }

  /** Signals the process a pidfd pins: 0, or the errno (ESRCH once it has exited). */
  int send(long fd, int signal) {
    return syscall(SYS_PIDFD_SEND_SIGNAL, fd, signal) == 0 ? 0 : Libc.errno();
  }

  void close(long fd) {
    close.call(fd);
  }

  /** Opens a pidfd on pid, checks {@code same}, and signals through the pidfd. */
  int killIfSame(long pid, int signal, BooleanSupplier same, SignalTrigger.Kill fallback) {
    long fd = syscall(SYS_PIDFD_OPEN, pid, 0);
    if (fd < 0) {
      int errno = Libc.errno();
      if (errno != ENOSYS) {
        return errno;
      }
      return same.getAsBoolean() ? fallback.kill(pid, signal) : SignalTrigger.Kill.NOT_THE_SAME;
    }
    try {
      if (!same.getAsBoolean()) {
        return SignalTrigger.Kill.NOT_THE_SAME;
      }
      return send(fd, signal);
    } finally {
      close(fd);
    }
  }
}
