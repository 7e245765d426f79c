package io.podreload.reloader;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.Buffer;

/**
 * The few C library functions the reloader calls (inotify, poll, pidfd, prctl), each a single JNI
 * call into jffi's invoker with integer and pointer arguments. jnr-ffi's bound interfaces reach the
 * same invoker through reflection and copy Java arrays in and out on every call: 15-30 µs per call
 * until the JIT compiles that path, and on the signal's path (a wake-up from poll, the inotify
 * read, the signal) that was most of the watch thread's wake-up. Pointers are to direct buffers
 * ({@link #address}).
 */
public final class Libc {

  private static final Invoker INVOKER = Invoker.getInstance();
  private static final MemoryIO MEMORY = MemoryIO.getInstance();

  private Libc() {}

  /**
   * A function of the C library whose arguments are all ints, longs or pointers.
   *
   * @throws UnsatisfiedLinkError when the C library has no such function
   */
  public static Function function(String name, Type result, Type... parameters) {
    long address = Library.getDefault().getSymbolAddress(name);
    if (address == 0) {
      throw new UnsatisfiedLinkError(
          "the C library has no " + name + ": " + Library.getLastError());
    }
    return new Function(
        address, CallContext.getCallContext(result, parameters, CallingConvention.DEFAULT, true));
  }

  /** The errno of the calling thread's last call through a {@link Function}. */
  public static int errno() {
    return LastError.getInstance().get();
  }

  /** The native address of a direct buffer, to pass as a pointer. */
  public static long address(Buffer direct) {
    return MEMORY.getDirectBufferAddress(direct);
  }

  /** One bound function; its result is returned as a long (cast an int result to int). */
  public record Function(long address, CallContext context) {
    public long call(long a1) {
      return INVOKER.invokeN1(context, address, a1);
    }

    public long call(long a1, long a2) {
      return INVOKER.invokeN2(context, address, a1, a2);
    }

    public long call(long a1, long a2, long a3) {
      return INVOKER.invokeN3(context, address, a1, a2, a3);
    }

    public long call(long a1, long a2, long a3, long a4, long a5) {
      return INVOKER.invokeN5(context, address, a1, a2, a3, a4, a5);
    }
  }
}
