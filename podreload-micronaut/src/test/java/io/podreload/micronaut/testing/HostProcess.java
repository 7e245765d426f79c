package io.podreload.micronaut.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.KubeletVolume;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * A host app of the module as a real process (the JVM flags of a jvm.options file, the test class
 * path), with its dirs in a temp dir, driven over real HTTP and real signals.
 */
public final class HostProcess implements AutoCloseable {

  /** Micronaut's endpoints that a locked-down host serves on neither port. */
  public static final List<String> ADMIN_PATHS =
      List.of(
          "/beans",
          "/routes",
          "/threaddump",
          "/metrics",
          "/env",
          "/info",
          "/loggers",
          "/refresh",
          "/stop",
          "/caches");

  /** What the management port serves, and the business port does not. */
  public static final List<String> MANAGEMENT_PATHS =
      List.of("/health", "/health/liveness", "/health/readiness", "/prometheus", "/config");

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public final Path work;
  public final Path config;
  public final Path secrets;
  public final Path statusFile;
  public final Path accessLog;
  public final Path output;
  public final int port;
  public final int managementPort;
  private final Process process;

  private HostProcess(Class<?> main, Path work, Map<String, String> extraEnv, boolean sighupIgnored)
      throws IOException {
    this.work = work;
    this.config = work.resolve("config");
    this.secrets = work.resolve("secrets");
    this.statusFile = work.resolve("run/reload-status.json");
    this.accessLog = work.resolve("log/access.log");
    this.output = work.resolve("app.out");
    this.port = freePort();
    this.managementPort = freePort();
    Files.createDirectories(statusFile.getParent());
    Map<String, String> env = new HashMap<>();
    env.put("MICRONAUT_SERVER_PORT", Integer.toString(port));
    env.put("ENDPOINTS_ALL_PORT", Integer.toString(managementPort));
    env.put("APP_SHUTDOWN_DELAY", "0s"); // tests stop at once unless they set one
    env.put("APP_CONFIG_DIRS", config + "," + secrets);
    env.put("APP_SECRET_DIRS", secrets.toString());
    env.put("APP_STATUS_FILE", statusFile.toString());
    env.put("APP_ACCESS_LOG", accessLog.toString());
    env.putAll(extraEnv);
    List<String> command = new ArrayList<>();
    if (sighupIgnored) { // as nohup starts it: an ignored signal stays ignored across exec
      command.addAll(List.of("bash", "-c", "trap '' HUP; exec \"$@\"", "bash"));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path options = Path.of("jvm.options"); // the module's own, else the project's app's
    command.add(
        "@" + (Files.exists(options) ? options : Path.of("../app/jvm.options")).toAbsolutePath());
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.add(main.getName());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(output.toFile());
    builder.environment().putAll(env);
    this.process = builder.start();
  }

  /**
   * Starts the app and waits until it is alive ({@code /health/liveness} on the management port).
   */
  public static HostProcess start(Class<?> main, Path work) throws IOException {
    return start(main, work, Map.of());
  }

  public static HostProcess start(Class<?> main, Path work, Map<String, String> env)
      throws IOException {
    HostProcess app = new HostProcess(main, work, env, false);
    try {
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                if (!app.process.isAlive()) {
                  throw new AssertionError("the app exited:\n" + app.output());
                }
                return app.managementStatusOf("/health/liveness") == 200;
              });
    } catch (RuntimeException | Error e) {
      app.close();
      throw e;
    }
    return app;
  }

  /** Launches the app with SIGHUP ignored, as under nohup, without waiting for it to answer. */
  public static HostProcess launchWithSighupIgnored(Class<?> main, Path work) throws IOException {
    return new HostProcess(main, work, Map.of(), true);
  }

  /**
   * Writes {@code dir} the way the kubelet publishes a ConfigMap volume: one file, swapped whole.
   */
  public static void publish(Path dir, String file, String content) throws IOException {
    KubeletVolume.write(
        dir,
        Map.of(file, content.getBytes(StandardCharsets.UTF_8)),
        PosixFilePermissions.fromString("rw-r--r--"));
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** A GET on the business port. */
  public String get(String path) {
    return send(path).body();
  }

  /** A GET on the management port. */
  public String manage(String path) {
    return send(managementPort, path).body();
  }

  public int statusOf(String path) {
    return statusOf(port, path);
  }

  public int managementStatusOf(String path) {
    return statusOf(managementPort, path);
  }

  private int statusOf(int port, String path) {
    try {
      return send(port, path).statusCode();
    } catch (UncheckedIOException e) {
      return -1;
    }
  }

  public HttpResponse<String> send(String path) {
    return send(port, path);
  }

  public HttpResponse<String> send(int port, String path) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)));
  }

  public HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return HTTP.send(
          request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Asserts the lock-down a host gets from the module: the business port answers 404 on every admin
   * and management path, the management port on every admin path, and {@code POST /refresh
   * {"force":true}} (a full environment refresh) is refused on both ports.
   */
  public void assertLockedDown() {
    List<String> notOnTheBusinessPort = new ArrayList<>(ADMIN_PATHS);
    notOnTheBusinessPort.addAll(MANAGEMENT_PATHS);
    for (String path : notOnTheBusinessPort) {
      assertThat(statusOf(path)).as("GET %s on the business port", path).isEqualTo(404);
    }
    for (String path : ADMIN_PATHS) {
      assertThat(managementStatusOf(path)).as("GET %s on the management port", path).isEqualTo(404);
    }
    for (int on : List.of(port, managementPort)) {
      HttpResponse<String> refresh =
          send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on + "/refresh"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"force\":true}")));
      assertThat(refresh.statusCode()).as("POST /refresh on port %d", on).isEqualTo(404);
    }
  }

  /** Sends a real signal with kill(1). */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(pid())).start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -s " + name + " " + pid() + " failed");
    }
  }

  public Optional<ReloadStatus> status() throws IOException {
    return StatusFile.read(statusFile);
  }

  /** Waits for the status file to report at least {@code attempt} load attempts. */
  public ReloadStatus awaitAttempt(long attempt) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(10))
        .ignoreExceptions()
        .until(() -> status().orElseThrow(), s -> s.attempt() >= attempt);
  }

  public String output() {
    try {
      return Files.exists(output) ? Files.readString(output) : "";
    } catch (IOException e) {
      return "(output unreadable: " + e + ")";
    }
  }

  /** Waits up to {@code timeout} for the app to exit: its exit code, or empty if it did not. */
  public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
        ? OptionalInt.of(process.exitValue())
        : OptionalInt.empty();
  }

  /** Stops the app with SIGTERM (a graceful shutdown) and returns its exit code. */
  public int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        stop();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
