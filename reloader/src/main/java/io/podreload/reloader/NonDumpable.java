package io.podreload.reloader;

import com.kenai.jffi.Type;

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

  private NonDumpable() {}

  public static void apply() {
    Libc.Function prctl =
        Libc.function(
            "prctl", Type.SINT, Type.SINT, Type.ULONG, Type.ULONG, Type.ULONG, Type.ULONG);
    if ((int) prctl.call(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0
        || (int) prctl.call(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
      throw new IllegalStateException(
          "cannot make the reloader non-dumpable (prctl PR_SET_DUMPABLE): the app could read its"
              + " tokens through /proc; run it on Linux with glibc");
    }
  }
}
