package io.podreload.reloader.source;

import com.kenai.jffi.Type;
import io.podreload.reloader.Libc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Linux inotify, read on the caller's thread through jffi ({@link Libc}): the event reaches the
 * thread that acts on it straight from the kernel. (The JDK's WatchService reads inotify on a
 * poller thread of its own and hands each key over to the watching thread: one thread wake-up more
 * on every change.) An eventfd beside the inotify fd lets {@link #wakeUp()} end a wait from another
 * thread. The poll set and the read buffer are direct buffers: nothing is copied per call.
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

  /** The libc functions used here, bound once. */
  private static final class LibC {
    static final Libc.Function INIT = Libc.function("inotify_init1", Type.SINT, Type.SINT);
    static final Libc.Function ADD_WATCH =
        Libc.function("inotify_add_watch", Type.SINT, Type.SINT, Type.POINTER, Type.UINT);
    static final Libc.Function EVENTFD = Libc.function("eventfd", Type.SINT, Type.UINT, Type.SINT);
    static final Libc.Function POLL =
        Libc.function("poll", Type.SINT, Type.POINTER, Type.ULONG, Type.SINT);
    static final Libc.Function READ =
        Libc.function("read", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG);
    static final Libc.Function WRITE =
        Libc.function("write", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG);
    static final Libc.Function CLOSE = Libc.function("close", Type.SINT, Type.SINT);
  }

  /** One event: the watch it came from, its mask, and the entry's name ("" for the dir itself). */
  record Event(int wd, int mask, String name) {
    boolean is(int bits) {
      return (mask & bits) != 0;
    }
  }

  private final int fd;
  private final int wake;
  // two struct pollfd {int fd; short events, revents}
  private final ByteBuffer pollFds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
  private final long pollFdsAddress = Libc.address(pollFds);
  private final ByteBuffer buffer =
      ByteBuffer.allocateDirect(16 * 1024).order(ByteOrder.nativeOrder());
  private final long bufferAddress = Libc.address(buffer);
  private final byte[] names = new byte[16 * 1024];
  private volatile boolean closed;

  private Inotify(int fd, int wake) {
    this.fd = fd;
    this.wake = wake;
    pollFds.putInt(0, fd).putShort(4, POLLIN).putInt(8, wake).putShort(12, POLLIN);
  }

  /**
   * A new inotify instance.
   *
   * @throws IOException when the kernel or the C library has none (the message says which)
   */
  static Inotify open() throws IOException {
    int fd;
    try {
      fd = (int) LibC.INIT.call(IN_NONBLOCK | IN_CLOEXEC);
    } catch (RuntimeException | LinkageError e) {
      throw new IOException("cannot bind inotify through jffi: " + e, e);
    }
    if (fd < 0) {
      throw new IOException(
          "inotify_init1 failed: errno "
              + Libc.errno()
              + " (fs.inotify.max_user_instances may be reached)");
    }
    int wake = (int) LibC.EVENTFD.call(0, IN_NONBLOCK | IN_CLOEXEC);
    if (wake < 0) {
      int errno = Libc.errno();
      LibC.CLOSE.call(fd);
      throw new IOException("eventfd failed: errno " + errno);
    }
    return new Inotify(fd, wake);
  }

  /** Watches {@code dir}; returns the watch descriptor that its events carry. */
  int watch(Path dir, int mask) throws IOException {
    byte[] name = dir.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer path = ByteBuffer.allocateDirect(name.length + 1).put(name).put((byte) 0);
    int wd = (int) LibC.ADD_WATCH.call(fd, Libc.address(path), mask);
    java.lang.ref.Reference.reachabilityFence(path);
    if (wd < 0) {
      int errno = Libc.errno();
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
    pollFds.putShort(6, (short) 0).putShort(14, (short) 0); // revents
    int ready =
        (int) LibC.POLL.call(pollFdsAddress, 2, (int) Math.min(Integer.MAX_VALUE, timeoutMillis));
    if (ready < 0) {
      int errno = Libc.errno();
      if (errno == EINTR) {
        return List.of();
      }
      throw new IOException("poll on inotify failed: errno " + errno);
    }
    if (ready == 0 || closed) {
      return List.of();
    }
    if (pollFds.getShort(14) != 0) {
      LibC.READ.call(wake, bufferAddress, 8); // reset the eventfd's counter
    }
    return pollFds.getShort(6) != 0 ? readEvents() : List.of();
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
    long n = LibC.READ.call(fd, bufferAddress, buffer.capacity());
    if (n < 0) {
      int errno = Libc.errno();
      if (errno == EAGAIN || errno == EINTR) { // nothing to read after all
        return List.of();
      }
      throw new IOException("read of inotify failed: errno " + errno);
    }
    ByteBuffer events = buffer.duplicate().order(ByteOrder.nativeOrder()).limit((int) n);
    events.get(0, names, 0, (int) n);
    List<Event> out = new ArrayList<>();
    // struct inotify_event {int wd; uint32_t mask, cookie, len; char name[len];}
    while (events.remaining() >= 16) {
      int wd = events.getInt();
      int mask = events.getInt();
      events.getInt(); // cookie
      int len = events.getInt();
      int start = events.position();
      int end = start;
      while (end < start + len && names[end] != 0) {
        end++;
      }
      out.add(new Event(wd, mask, new String(names, start, end - start, StandardCharsets.UTF_8)));
      events.position(start + len);
    }
    return out;
  }

  /** Ends a wait in {@link #await(long)} now (from any thread). */
  void wakeUp() {
    ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
    LibC.WRITE.call(wake, Libc.address(one), 8);
    java.lang.ref.Reference.reachabilityFence(one);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    wakeUp();
    LibC.CLOSE.call(fd);
    LibC.CLOSE.call(wake);
  }
}
