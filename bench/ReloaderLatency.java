import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The reloader's latency, in microseconds, one figure per kubelet-style swap of the volume dir:
 *
 * <ul>
 *   <li>{@code signal DIR STATUS_FILE N [BYTES]}: from the swap (the {@code ..data} rename) to
 *       SIGHUP delivered to bench/sigtarget.py, which this process starts and acknowledges for in
 *       the status file like the app does. With BYTES, each swap publishes a config of about that
 *       size (a ConfigMap at its 1 MiB limit: 1000000), one key changed per swap.
 *   <li>{@code served DIR APP_PORT N}: from the swap to the new greeting served by the real app.
 * </ul>
 *
 * <p>With BENCH_STAMPS set, each swap also prints {@code SWAP <rename> <arrived>} to stderr, both
 * on CLOCK_MONOTONIC in nanoseconds: the times to line up with a trace of the reloader's threads
 * (perf record -k CLOCK_MONOTONIC), to see where on the path the time goes.
 *
 * <p>Run with the reloader's jar on the class path (it holds the common module): bench_java
 * reloader/target/reloader.jar ReloaderLatency MODE ... (CLOCK_MONOTONIC is shared by
 * all processes, so this process's clock measures the reloader's work).
 */
public class ReloaderLatency {
  /** Writes before the measured swaps, enough for this JVM to compile its writing code. */
  static final int WRITER_WARM_UP = 3000;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    int swaps = Integer.parseInt(args[3]);
    if (args[0].equals("signal")) {
      signal(dir, Path.of(args[2]), swaps, args.length > 4 ? Integer.parseInt(args[4]) : 0);
    } else {
      served(dir, Integer.parseInt(args[2]), swaps);
    }
  }

  /** About {@code bytes} of YAML: many small keys, as a large real config has. */
  static String padding(int bytes) {
    StringBuilder yaml = new StringBuilder("big:\n");
    for (int k = 0; yaml.length() < bytes; k++) {
      yaml.append("  key").append(k).append(": \"value of key ").append(k).append(" padded\"\n");
    }
    return yaml.toString();
  }

  static void signal(Path dir, Path statusFile, int swaps, int bytes) throws Exception {
    String padding = bytes > 0 ? padding(bytes) : "";
    Process target =
        new ProcessBuilder("python3", "-u", "bench/sigtarget.py")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      LinkedBlockingQueue<String> arrivals = new LinkedBlockingQueue<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader out =
                    new BufferedReader(
                        new InputStreamReader(target.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line = out.readLine(); line != null; line = out.readLine()) {
                    arrivals.add(line);
                  }
                } catch (java.io.IOException ended) {
                  // the target was stopped
                }
              });
      reader.setDaemon(true);
      reader.start();
      if (!"ready".equals(arrivals.poll(10, TimeUnit.SECONDS))) {
        throw new IllegalStateException("bench/sigtarget.py did not start");
      }
      long pid = target.pid();
      long attempt = 0;
      warmUpWriter(dir.resolveSibling(dir.getFileName() + "-writer-warm-up"), pid);
      acknowledge(dir, statusFile, pid, ++attempt);
      Thread.sleep(1500); // the reloader sees this target and its first acknowledgement
      for (int i = 0; i < swaps; i++) {
        long[] swapped = {0};
        publish(
            dir,
            "app:\n  greeting: \"swap " + i + "\"\n" + padding,
            () -> swapped[0] = System.nanoTime());
        String arrived = arrivals.poll(10, TimeUnit.SECONDS);
        if (arrived == null) {
          throw new IllegalStateException("no SIGHUP within 10 s of swap " + i);
        }
        System.out.println((Long.parseLong(arrived) - swapped[0]) / 1000);
        if (System.getenv("BENCH_STAMPS") != null) {
          System.err.println("SWAP " + swapped[0] + " " + arrived);
        }
        acknowledge(dir, statusFile, pid, ++attempt);
        Thread.sleep(30);
      }
    } finally {
      target.destroy();
    }
  }

  /**
   * Compiles this process's own writing code before the clock starts: kubelet writes and status
   * files into {@code scratch}, a dir nobody watches (beside the watched one, so that the bench's
   * clean-up removes it). Without it this JVM's JIT compiler threads run
   * through the measured swaps (each swap runs the writer's code once more), and on 2 CPUs the
   * reloader's watch thread, woken by the writer, waits for a CPU behind them: a figure of this
   * process, not of the reloader (the kubelet is a compiled Go program).
   */
  static void warmUpWriter(Path scratch, long pid) throws Exception {
    for (int i = 1; i <= WRITER_WARM_UP; i++) {
      publish(scratch, "app:\n  greeting: \"warm-up " + i + "\"\n");
      acknowledge(scratch, scratch.resolve("status.json"), pid, i);
    }
  }

  static void served(Path dir, int port, int swaps) throws Exception {
    GreetingProbe probe = new GreetingProbe(port);
    for (int i = 0; i < swaps; i++) {
      String greeting = "swap " + i + " " + System.nanoTime();
      long[] start = {0};
      publish(dir, "app:\n  greeting: \"" + greeting + "\"\n", () -> start[0] = System.nanoTime());
      if (!probe.awaitBody(greeting, 10_000_000_000L)) {
        throw new IllegalStateException("swap " + i + " was not served within 10 s");
      }
      System.out.println((System.nanoTime() - start[0]) / 1000);
      Thread.sleep(100); // let the acknowledgement land before the next swap
    }
  }

  static void publish(Path dir, String content) throws Exception {
    publish(dir, content, () -> {});
  }

  static void publish(Path dir, String content, Runnable beforeSwap) throws Exception {
    KubeletVolume.write(
        dir,
        Map.of("application.yml", content.getBytes(StandardCharsets.UTF_8)),
        PosixFilePermissions.fromString("rw-r--r--"),
        beforeSwap);
  }

  static void acknowledge(Path dir, Path statusFile, long pid, long attempt) throws Exception {
    DirSnapshot snapshot = KubeletVolume.read(dir);
    StatusFile.write(
        statusFile,
        new ReloadStatus(
            pid, attempt, "v" + attempt, ReloadStatus.APPLIED, null, Instant.now().toString(),
            attempt, Map.of(snapshot.key(), snapshot.hash())));
  }
}
