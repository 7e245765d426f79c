package io.podreload.reloader;

import jnr.ffi.LibraryLoader;

/**
 * Makes the reloader non-dumpable: {@code prctl(PR_SET_DUMPABLE, 0)}. The app runs as the same UID
 * in the shared PID namespace, so without this it could read the reloader's tokens through {@code
 * /proc/<reloader>/environ}, {@code /root/...} (the service-account token) and {@code /mem}; the
 * kernel hands those of a non-dumpable process to root only. Fails the start when it cannot be
 * done: the tokens would be open to the app.
 */
public final class NonDumpable {
  private static final int PR_SET_DUMPABLE = 4;
  private static final int PR_GET_DUMPABLE = 3;

  /** The one libc function used here, bound by jnr-ffi. */
  public interface LibC {
    int prctl(int option, long arg2, long arg3, long arg4, long arg5);
  }

  private NonDumpable() {}

  public static void apply() {
    LibC libc = LibraryLoader.create(LibC.class).load("c");
    if (libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0
        || libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
      throw new IllegalStateException(
          "cannot make the reloader non-dumpable (prctl PR_SET_DUMPABLE): the app could read its"
              + " tokens through /proc; run it on Linux with glibc");
    }
  }
}
