package io.podreload.reloader.signal;

import java.util.function.BooleanSupplier;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * pidfd_open(2) and pidfd_send_signal(2) (Linux 5.1 and 5.3), called as plain syscalls through
 * jnr-ffi: a pidfd pins one process, so a signal sent through it never reaches another process that
 * reused the pid.
 */
final class Pidfd {
  // The same numbers on every Linux architecture (the unified syscall table since 5.1).
  private static final long SYS_PIDFD_SEND_SIGNAL = 424;
  private static final long SYS_PIDFD_OPEN = 434;
  private static final int ENOSYS = 38;

  /** The libc functions used here. */
  public interface LibC {
    long syscall(long number, long a1, long a2, long a3, long a4);

    int close(int fd);
  }

  private final LibC libc;
  private final Runtime runtime;

  private Pidfd(LibC libc) {
    this.libc = libc;
    this.runtime = Runtime.getRuntime(libc);
  }

  /** Null when the kernel has no pidfd_open (the caller falls back to kill after its check). */
  static Pidfd bind() {
    try {
      Pidfd pidfd = new Pidfd(LibraryLoader.create(LibC.class).load("c"));
      long fd = pidfd.libc.syscall(SYS_PIDFD_OPEN, ProcessHandle.current().pid(), 0, 0, 0);
      if (fd < 0) {
        return pidfd.runtime.getLastError() == ENOSYS ? null : pidfd;
      }
      pidfd.libc.close((int) fd);
      return pidfd;
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  /** Opens a pidfd on pid: the fd, or minus the errno. */
  long open(long pid) {
    long fd = libc.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
    return fd >= 0 ? fd : -runtime.getLastError();
  }

  /** Signals the process a pidfd pins: 0, or the errno (ESRCH once it has exited). */
  int send(long fd, int signal) {
    return libc.syscall(SYS_PIDFD_SEND_SIGNAL, fd, signal, 0, 0) == 0 ? 0 : runtime.getLastError();
  }

  void close(long fd) {
    libc.close((int) fd);
  }

  /** Opens a pidfd on pid, checks {@code same}, and signals through the pidfd. */
  int killIfSame(long pid, int signal, BooleanSupplier same, SignalTrigger.Kill fallback) {
    long fd = libc.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
    if (fd < 0) {
      int errno = runtime.getLastError();
      if (errno != ENOSYS) {
        return errno;
      }
      return same.getAsBoolean() ? fallback.kill(pid, signal) : SignalTrigger.Kill.NOT_THE_SAME;
    }
    try {
      if (!same.getAsBoolean()) {
        return SignalTrigger.Kill.NOT_THE_SAME;
      }
      return libc.syscall(SYS_PIDFD_SEND_SIGNAL, fd, signal, 0, 0) == 0
          ? 0
          : runtime.getLastError();
    } finally {
      libc.close((int) fd);
    }
  }
}
