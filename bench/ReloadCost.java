import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.context.ApplicationContext;
import io.podreload.micronaut.ConfigReloader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The app's reload cost from the inside, without HTTP or a probe: the app's context started in
 * this JVM, a config of KEYS keys (padded to about BYTES) rewritten and reloaded RELOADS times
 * through {@link ConfigReloader#requestReload()}, the same call the SIGHUP handler makes. Prints
 * the process's CPU time per reload (every thread: the reload, Micronaut's environment, the
 * collector, the JIT; less the time spent here writing the files), which a busy machine hardly
 * changes, and, where the app has them, the mean time per stage from its app.reload.stage timers.
 *
 * <p>MODE {@code all} changes every value on each reload, {@code one} only app.greeting.
 *
 * <p>Usage (via bench/lib.sh): bench_java app/target/app.jar ReloadCost KEYS BYTES RELOADS MODE
 */
public class ReloadCost {
  private static final String[] STAGES = {
    "wait", "read", "parse", "bind", "validate", "swap", "ack", "environment", "refresh-event"
  };

  public static void main(String[] args) throws Exception {
    int keys = Integer.parseInt(args[0]);
    int bytes = Integer.parseInt(args[1]);
    int reloads = Integer.parseInt(args[2]);
    boolean all = args[3].equals("all");
    Path work = Files.createTempDirectory("reload-cost");
    Path config = Files.createDirectories(work.resolve("config"));
    write(config, keys, bytes, 0, all);
    try (ApplicationContext context =
        ApplicationContext.builder()
            .properties(
                Map.of(
                    "podreload.config-dirs", config.toString(),
                    "podreload.secret-dirs", "",
                    "podreload.status-file", work.resolve("status.json").toString(),
                    "podreload.access-log-enabled", "false",
                    "micronaut.server.port", "-1",
                    "endpoints.all.port", "-1"))
            .start()) {
      ConfigReloader reloader = context.getBean(ConfigReloader.class);
      MeterRegistry metrics = context.getBean(MeterRegistry.class);
      ThreadMXBean thread = (ThreadMXBean) ManagementFactory.getThreadMXBean();
      OperatingSystemMXBean os =
          (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      for (int i = 1; i <= reloads; i++) { // warm-up: the reload path compiled
        write(config, keys, bytes, i, all);
        reloader.requestReload();
      }
      Thread.sleep(1000);
      Map<String, double[]> before = stages(metrics);
      long writing = 0;
      long cpu = os.getProcessCpuTime();
      for (int i = reloads + 1; i <= 2 * reloads; i++) {
        long w = thread.getCurrentThreadCpuTime();
        write(config, keys, bytes, i, all);
        writing += thread.getCurrentThreadCpuTime() - w;
        reloader.requestReload();
      }
      Thread.sleep(1000); // Micronaut's environment follows on its own thread
      double perReload = (os.getProcessCpuTime() - cpu - writing) / 1e6 / reloads;
      StringBuilder line = new StringBuilder(String.format("cpu %.1f ms;", perReload));
      Map<String, double[]> after = stages(metrics);
      for (String stage : STAGES) {
        double[] was = before.getOrDefault(stage, new double[2]);
        double[] now = after.get(stage);
        if (now != null && now[0] > was[0]) {
          line.append(String.format(" %s %.2f", stage, (now[1] - was[1]) / (now[0] - was[0])));
        }
      }
      System.out.println(line);
    }
  }

  /** Each stage's count and total milliseconds. */
  private static Map<String, double[]> stages(MeterRegistry metrics) {
    Map<String, double[]> stages = new LinkedHashMap<>();
    for (Timer timer : metrics.find("app.reload.stage").timers()) {
      stages.put(
          timer.getId().getTag("stage"),
          new double[] {timer.count(), timer.totalTime(TimeUnit.MILLISECONDS)});
    }
    return stages;
  }

  private static void write(Path dir, int keys, int bytes, int i, boolean all) throws Exception {
    int pad = Math.max(0, Math.min(128, bytes / keys - 25));
    String padding = "-" + "0123456789abcdef".repeat(8).substring(0, pad);
    StringBuilder yaml = new StringBuilder("app:\n  greeting: \"cost " + i + "\"\nbench:\n");
    for (int k = 1; k < keys; k++) {
      yaml.append("  key").append(k).append(": value-").append(k).append('-');
      yaml.append(all ? i : 0).append(padding).append('\n');
    }
    Path tmp = dir.resolve(".cost.tmp");
    Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve("application.yml"), StandardCopyOption.ATOMIC_MOVE);
  }
}
