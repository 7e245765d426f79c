import io.podreload.devtools.LocalKubernetesApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * ConfigMap update through the Kubernetes API to the new greeting served: a fake API server
 * (the one the tests use: real list and watch protocol) in this process, the reloader and the
 * app as real processes with their shipped JVM flags. Prints one microsecond figure per update.
 *
 * <p>Usage (from the project root, after ./mvnw package; bench_java from bench/lib.sh): bench_java
 * reloader/target/test-classes:$(cat reloader/target/test.classpath) ApiReloadLatency WORK_DIR
 * UPDATES APP_PORT RELOADER_PORT
 */
public class ApiReloadLatency {
  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    int updates = Integer.parseInt(args[1]);
    int appPort = Integer.parseInt(args[2]);
    int reloaderPort = Integer.parseInt(args[3]);
    Path render = work.resolve("render");
    try (GreetingProbe probe = new GreetingProbe(appPort);
        LocalKubernetesApi api = new LocalKubernetesApi()) {
      api.put("bench", "app-config", Map.of("application.yml", "app:\n  greeting: start\n"));
      Process reloader =
          start(
              work.resolve("reloader.out"),
              Map.of(
                  "RELOADER_HTTP_PORT", Integer.toString(reloaderPort),
                  "RELOADER_SOURCES", "configmap",
                  "RELOADER_CONFIGMAP_NAMESPACE", "bench",
                  "RELOADER_RENDER_DIR", render.toString(),
                  "RELOADER_STATUS_FILE", work.resolve("status.json").toString(),
                  "RELOADER_TARGET_CMDLINE", "-Dbench=" + work + " .*app\\.jar",
                  "KUBERNETES_CLIENT_BASE_PATH", api.url()),
              "reloader");
      Process app =
          start(
              work.resolve("app.out"),
              Map.of(
                  "MICRONAUT_SERVER_PORT", Integer.toString(appPort),
                  "ENDPOINTS_ALL_PORT", Integer.toString(managementPort()),
                  "APP_CONFIG_DIRS", render.toString(),
                  "APP_STATUS_FILE", work.resolve("status.json").toString(),
                  "APP_ACCESS_LOG", work.resolve("access.log").toString()),
              "app");
      try {
        waitFor(probe, "start");
        Thread.sleep(2000); // the reloader has confirmed the app's first load
        for (int i = 0; i < updates; i++) {
          String greeting = "update " + i + " " + System.nanoTime();
          long start = System.nanoTime();
          api.put("bench", "app-config", Map.of("application.yml", "app:\n  greeting: \"" + greeting + "\"\n"));
          waitFor(probe, greeting);
          System.out.println((System.nanoTime() - start) / 1000);
          Thread.sleep(50);
        }
      } finally {
        app.destroy();
        reloader.destroy();
        app.waitFor();
        reloader.waitFor();
      }
    }
  }

  /** The app's management port: one nobody listens on now (nothing here reads it). */
  static int managementPort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static Process start(Path out, Map<String, String> env, String program) throws Exception {
    List<String> command =
        List.of("java", "@" + program + "/jvm.options", "-Dbench=" + out.getParent(), "-jar", program + "/target/" + program + ".jar");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(out.toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  static void waitFor(GreetingProbe probe, String expected) throws Exception {
    if (!probe.awaitBody(expected, 60_000_000_000L)) {
      throw new IllegalStateException("'" + expected + "' was not served within 60 s; see the .out files");
    }
  }
}
