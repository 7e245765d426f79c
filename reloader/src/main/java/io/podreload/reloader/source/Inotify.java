package io.podreload.reloader.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * Linux inotify, read on the caller's thread through jnr-ffi: the event reaches the thread that
 * acts on it straight from the kernel. (The JDK's WatchService reads inotify on a poller thread of
 * its own and hands each key over to the watching thread: one thread wake-up more on every change.)
 * An eventfd beside the inotify fd lets {@link #wakeUp()} end a wait from another thread.
 */
final class Inotify implements AutoCloseable {

  // <sys/inotify.h>, the same on every Linux architecture.
  static final int IN_MODIFY = 0x2;
  static final int IN_ATTRIB = 0x4;
  static final int IN_MOVED_FROM = 0x40;
  static final int IN_MOVED_TO = 0x80;
  static final int IN_CREATE = 0x100;
  static final int IN_DELETE = 0x200;
  static final int IN_DELETE_SELF = 0x400;
  static final int IN_MOVE_SELF = 0x800;
  static final int IN_Q_OVERFLOW = 0x4000;
  static final int IN_IGNORED = 0x8000;
  private static final int IN_ONLYDIR = 0x1000000;
  private static final int IN_NONBLOCK = 0x800; // O_NONBLOCK
  private static final int IN_CLOEXEC = 0x80000; // O_CLOEXEC
  private static final short POLLIN = 0x1;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int ENOSPC = 28;

  /** What a config dir's watch reports: entries created, renamed, deleted, written; itself gone. */
  static final int DIR_EVENTS =
      IN_CREATE
          | IN_MOVED_TO
          | IN_DELETE
          | IN_MOVED_FROM
          | IN_MODIFY
          | IN_ATTRIB
          | IN_DELETE_SELF
          | IN_MOVE_SELF
          | IN_ONLYDIR;

  /** The libc functions used here. */
  public interface LibC {
    int inotify_init1(int flags);

    int inotify_add_watch(int fd, String path, int mask);

    int inotify_rm_watch(int fd, int wd);

    int eventfd(int initval, int flags);

    int poll(@In @Out byte[] fds, long nfds, int timeout);

    long read(int fd, @Out byte[] buf, long count);

    long write(int fd, @In byte[] buf, long count);

    int close(int fd);
  }

  /** One event: the watch it came from, its mask, and the entry's name ("" for the dir itself). */
  record Event(int wd, int mask, String name) {
    boolean is(int bits) {
      return (mask & bits) != 0;
    }
  }

  private final LibC libc;
  private final Runtime runtime;
  private final int fd;
  private final int wake;
  private final byte[] pollFds = new byte[16]; // two struct pollfd {int fd; short events, revents}
  private final byte[] buffer = new byte[16 * 1024];
  private volatile boolean closed;

  private Inotify(LibC libc, int fd, int wake) {
    this.libc = libc;
    this.runtime = Runtime.getRuntime(libc);
    this.fd = fd;
    this.wake = wake;
    ByteBuffer fds = ByteBuffer.wrap(pollFds).order(ByteOrder.nativeOrder());
    fds.putInt(fd).putShort(POLLIN).putShort((short) 0);
    fds.putInt(wake).putShort(POLLIN).putShort((short) 0);
  }

  /**
   * A new inotify instance.
   *
   * @throws IOException when the kernel or the C library has none (the message says which)
   */
  static Inotify open() throws IOException {
    LibC libc;
    try {
      libc = LibraryLoader.create(LibC.class).load("c");
    } catch (RuntimeException | LinkageError e) {
      throw new IOException("cannot bind inotify through jnr-ffi: " + e, e);
    }
    int fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      throw new IOException(
          "inotify_init1 failed: errno "
              + Runtime.getRuntime(libc).getLastError()
              + " (fs.inotify.max_user_instances may be reached)");
    }
    int wake = libc.eventfd(0, IN_NONBLOCK | IN_CLOEXEC);
    if (wake < 0) {
      libc.close(fd);
      throw new IOException("eventfd failed: errno " + Runtime.getRuntime(libc).getLastError());
    }
    return new Inotify(libc, fd, wake);
  }

  /** Watches {@code dir}; returns the watch descriptor that its events carry. */
  int watch(Path dir, int mask) throws IOException {
    int wd = libc.inotify_add_watch(fd, dir.toString(), mask);
    if (wd < 0) {
      int errno = runtime.getLastError();
      throw new IOException(
          "inotify_add_watch on "
              + dir
              + " failed: errno "
              + errno
              + (errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : ""));
    }
    return wd;
  }

  /**
   * Waits at most {@code timeoutMillis} for events and returns them; empty after the timeout, after
   * {@link #wakeUp()}, or once closed.
   */
  List<Event> await(long timeoutMillis) throws IOException {
    if (closed) {
      return List.of();
    }
    pollFds[6] = pollFds[7] = pollFds[14] = pollFds[15] = 0; // revents
    int ready = libc.poll(pollFds, 2, (int) Math.min(Integer.MAX_VALUE, timeoutMillis));
    if (ready < 0) {
      int errno = runtime.getLastError();
      if (errno == EINTR) {
        return List.of();
      }
      throw new IOException("poll on inotify failed: errno " + errno);
    }
    if (ready == 0 || closed) {
      return List.of();
    }
    if ((pollFds[14] | pollFds[15]) != 0) {
      libc.read(wake, new byte[8], 8); // reset the eventfd's counter
    }
    return (pollFds[6] | pollFds[7]) != 0 ? readEvents() : List.of();
  }

  /**
   * As {@link #await(long)}, but polls without sleeping for up to {@code spinNanos} first: for an
   * event due within microseconds, this saves the thread's wake-up (0.1-0.5 ms).
   */
  List<Event> await(long timeoutMillis, long spinNanos) throws IOException {
    long until = System.nanoTime() + spinNanos;
    while (!closed && System.nanoTime() - until < 0) {
      List<Event> events = await(0);
      if (!events.isEmpty()) {
        return events;
      }
      Thread.onSpinWait();
    }
    return await(timeoutMillis);
  }

  private List<Event> readEvents() throws IOException {
    long n = libc.read(fd, buffer, buffer.length);
    if (n < 0) {
      int errno = runtime.getLastError();
      if (errno == EAGAIN || errno == EINTR) { // nothing to read after all
        return List.of();
      }
      throw new IOException("read of inotify failed: errno " + errno);
    }
    ByteBuffer events = ByteBuffer.wrap(buffer, 0, (int) n).order(ByteOrder.nativeOrder());
    List<Event> out = new ArrayList<>();
    // struct inotify_event {int wd; uint32_t mask, cookie, len; char name[len];}
    while (events.remaining() >= 16) {
      int wd = events.getInt();
      int mask = events.getInt();
      events.getInt(); // cookie
      int len = events.getInt();
      int start = events.position();
      int end = start;
      while (end < start + len && buffer[end] != 0) {
        end++;
      }
      out.add(new Event(wd, mask, new String(buffer, start, end - start, StandardCharsets.UTF_8)));
      events.position(start + len);
    }
    return out;
  }

  /** Ends a wait in {@link #await(long)} now (from any thread). */
  void wakeUp() {
    byte[] one = new byte[8];
    ByteBuffer.wrap(one).order(ByteOrder.nativeOrder()).putLong(1);
    libc.write(wake, one, 8);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    wakeUp();
    libc.close(fd);
    libc.close(wake);
  }
}
