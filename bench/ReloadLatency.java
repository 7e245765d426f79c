import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import jnr.posix.POSIXFactory;

/**
 * The app's reload latency from the outside: write a new config (N keys) with an atomic rename,
 * send SIGHUP with kill(2), then poll GET / on a kept-alive connection until the new greeting is
 * served. Prints one microsecond figure per reload, one per line, the warm-up reloads first.
 *
 * <p>Usage (via bench/lib.sh): bench_java reloader/target/reloader.jar ReloadLatency PORT PID CONFIG_DIR
 * WARMUP RELOADS KEYS [BYTES] (jnr-posix comes from the reloader's jar: the same kill the reloader
 * sends). BYTES pads the values so that the file is about that large: real values are longer than
 * {@code value-1-2}. The warm-up runs in the same JVM as the measured reloads, so that the probe's
 * own code is compiled before they start.
 *
 * <p>BENCH_POLL_MICROS (default 0) pauses that long between two polls: without a pause the probe
 * and the app's request path keep a core busy while the reload runs, on a 2-core machine half of
 * it; a pause adds at most itself (and the timer's slack, 50 us) to each figure.
 */
public class ReloadLatency {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int pid = Integer.parseInt(args[1]);
    Path dir = Path.of(args[2]);
    int warmup = Integer.parseInt(args[3]);
    int reloads = warmup + Integer.parseInt(args[4]);
    int keys = Integer.parseInt(args[5]);
    int bytes = args.length > 6 ? Integer.parseInt(args[6]) : 0;
    long pauseNanos = Long.parseLong(System.getenv().getOrDefault("BENCH_POLL_MICROS", "0")) * 1000;
    // "  key1234: value-1234-56\n" is about 24 bytes; the rest of each line's share is padding
    int pad = Math.max(0, Math.min(128, bytes / keys - 25));
    String padding = "-" + "0123456789abcdef".repeat(8).substring(0, pad);
    var posix = POSIXFactory.getNativePOSIX();
    GreetingProbe probe = new GreetingProbe(port);
    long[] micros = new long[reloads];
    for (int i = 0; i < reloads; i++) {
      String greeting = "bench " + i + " " + System.nanoTime();
      StringBuilder yaml = new StringBuilder("app:\n  greeting: \"" + greeting + "\"\nbench:\n");
      for (int k = 1; k < keys; k++) {
        yaml.append("  key").append(k).append(": value-").append(k).append('-').append(i);
        yaml.append(bytes > 0 ? padding : "").append('\n');
      }
      Path tmp = dir.resolve(".bench.tmp");
      Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve("application.yml"), StandardCopyOption.ATOMIC_MOVE);
      long start = System.nanoTime();
      if (posix.kill(pid, 1) != 0) {
        throw new IllegalStateException("kill failed: errno " + posix.errno());
      }
      if (!probe.awaitBody(greeting, 10_000_000_000L, pauseNanos)) {
        throw new IllegalStateException("reload " + i + " was not served within 10 s");
      }
      micros[i] = (System.nanoTime() - start) / 1000;
      Thread.sleep(20); // let the reload finish its acknowledgement before the next one
    }
    Arrays.stream(micros).forEach(System.out::println);
  }
}
