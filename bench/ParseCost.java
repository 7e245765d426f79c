import com.sun.management.ThreadMXBean;
import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParser;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The shared parser alone (common's {@code ConfigParser}, which the app loads with and the reloader
 * validates with), on the two large configs the benchmarks use: the app's 10,000 keys padded to
 * about 400 KiB (as bench/ReloadCost.java writes it) and the reloader's 1 MiB ConfigMap of small
 * quoted values (as bench/ReloaderLatency.java writes it). Each parse runs after a pause, as a
 * reload does, in the JVM of the jar and flags given. Prints, per parse: the thread's CPU time and
 * the wall time (medians), and the bytes allocated (mean).
 *
 * <p>Usage: java @reloader/jvm.options -cp reloader/target/reloader.jar:target/bench-classes
 * ParseCost app|reloader PARSES PAUSE_MS
 */
public class ParseCost {
  public static void main(String[] args) throws Exception {
    boolean app = args[0].equals("app");
    int parses = Integer.parseInt(args[1]);
    long pause = Long.parseLong(args[2]);
    ThreadMXBean thread = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    double[] cpu = new double[parses];
    double[] wall = new double[parses];
    long allocated = 0;
    for (int i = -parses; i < parses; i++) { // the first half warms up
      byte[] yaml = (app ? appConfig(i) : reloaderConfig(i)).getBytes(StandardCharsets.UTF_8);
      Thread.sleep(pause);
      long bytes = thread.getCurrentThreadAllocatedBytes();
      long c = thread.getCurrentThreadCpuTime();
      long w = System.nanoTime();
      int keys = ConfigParser.parse(new ConfigFile("application.yml", yaml)).size();
      if (i >= 0) {
        wall[i] = (System.nanoTime() - w) / 1e6;
        cpu[i] = (thread.getCurrentThreadCpuTime() - c) / 1e6;
        allocated += thread.getCurrentThreadAllocatedBytes() - bytes;
      }
      if (i == parses - 1) {
        System.out.printf(
            "%s config: %d keys, %d KiB; per parse: cpu %.2f ms, wall %.2f ms (medians), %.1f MB"
                + " allocated%n",
            args[0], keys, yaml.length / 1024, median(cpu), median(wall), allocated / 1e6 / parses);
      }
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** As bench/ReloadCost.java: 10,000 keys, every value changed, padded to about 400 KiB. */
  private static String appConfig(int i) {
    int keys = 10_000;
    int pad = Math.max(0, Math.min(128, 400 * 1024 / keys - 25));
    String padding = "-" + "0123456789abcdef".repeat(8).substring(0, pad);
    StringBuilder yaml = new StringBuilder("app:\n  greeting: \"cost " + i + "\"\nbench:\n");
    for (int k = 1; k < keys; k++) {
      yaml.append("  key").append(k).append(": value-").append(k).append('-');
      yaml.append(i).append(padding).append('\n');
    }
    return yaml.toString();
  }

  /** As bench/ReloaderLatency.java: a ConfigMap at its 1 MB limit, many small quoted values. */
  private static String reloaderConfig(int i) {
    StringBuilder yaml = new StringBuilder("app:\n  greeting: \"swap " + i + "\"\nbig:\n");
    for (int k = 0; yaml.length() < 1_000_000; k++) {
      yaml.append("  key").append(k).append(": \"value of key ").append(k).append(" padded\"\n");
    }
    return yaml.toString();
  }
}
