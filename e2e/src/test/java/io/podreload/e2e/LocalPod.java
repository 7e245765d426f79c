package io.podreload.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pod as {@code bin/local-pod} runs it: app, reloader and logger from their real jars, in one
 * PID namespace, with a kubelet-style ConfigMap volume fed from an edited file. Its output (all
 * three containers, prefixed) is captured in a file.
 */
final class LocalPod implements AutoCloseable {

  static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern METRIC =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) ([-+0-9.eE]+|NaN)$");

  final Path dir;
  final Path output;
  final int appPort;
  final int appManagementPort;
  final int reloaderPort;
  final int loggerPort;
  private final Process process;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private LocalPod(Path dir, Map<String, String> env) throws IOException {
    this.dir = dir.resolve("pod");
    this.output = dir.resolve("pod-output.log");
    this.appPort = freePort();
    this.appManagementPort = freePort();
    this.reloaderPort = freePort();
    this.loggerPort = freePort();
    ProcessBuilder builder =
        new ProcessBuilder(
                ROOT.resolve("bin/local-pod").toString(),
                "--dir",
                this.dir.toString(),
                "--app-port",
                String.valueOf(appPort),
                "--app-management-port",
                String.valueOf(appManagementPort),
                "--reloader-port",
                String.valueOf(reloaderPort),
                "--logger-port",
                String.valueOf(loggerPort))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().putAll(env);
    this.process = builder.start();
  }

  /** Starts the pod and waits until the app serves. */
  static LocalPod start(Path dir, Map<String, String> env) throws IOException {
    LocalPod pod = new LocalPod(dir, env);
    try {
      await("the pod is up")
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  pod.outputText().contains("local-pod | the pod is up") || !pod.process.isAlive());
      if (!pod.process.isAlive()) {
        throw new IllegalStateException("bin/local-pod exited:\n" + pod.outputText());
      }
    } catch (RuntimeException e) {
      pod.close();
      throw e;
    }
    return pod;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Saves the edited file the way an editor does: a temp file renamed over it. */
  void edit(String yaml) throws IOException {
    Path temp = dir.resolve(".application.yml.tmp");
    Files.writeString(temp, yaml);
    Files.move(temp, dir.resolve("application.yml"), StandardCopyOption.ATOMIC_MOVE);
  }

  HttpResponse<String> get(int port, String path) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build();
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  String greeting() {
    return get(appPort, "/").body();
  }

  JsonNode config() throws IOException {
    return JSON.readTree(get(appManagementPort, "/config").body());
  }

  ReloadStatus status() throws IOException {
    return StatusFile.read(dir.resolve("run/app/reload-status.json")).orElseThrow();
  }

  /** Sum of the samples of a Prometheus metric whose name and labels match {@code regex}. */
  double metric(int port, String regex) {
    Pattern wanted = Pattern.compile(regex);
    double sum = 0;
    for (String line : get(port, "/prometheus").body().split("\n")) {
      Matcher m = METRIC.matcher(line);
      if (m.matches() && wanted.matcher(m.group(1)).matches()) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  /**
   * The host pid of a container's java process, found by the pod's marker in its command line; -1
   * while it is not running (between a crash and its restart).
   */
  long pidOf(String container) throws IOException {
    String marker = "-Dlocal-pod=" + dir.toRealPath();
    String jar = "/" + container + ".jar";
    return ProcessHandle.allProcesses()
        .filter(
            p ->
                p.info()
                    .commandLine()
                    .map(c -> c.contains(marker) && c.contains(jar))
                    .orElse(false))
        .mapToLong(ProcessHandle::pid)
        .findFirst()
        .orElse(-1);
  }

  String outputText() {
    try {
      return Files.readString(output, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lines a container wrote to its stdout, without the pod's prefix. */
  List<String> linesOf(String container) {
    String prefix = String.format("%-8s | ", container);
    return outputText()
        .lines()
        .filter(line -> line.startsWith(prefix))
        .map(line -> line.substring(prefix.length()))
        .toList();
  }

  static void signal(String signal, long pid, int times) throws IOException, InterruptedException {
    String[] command = new String[times + 2];
    command[0] = "kill";
    command[1] = "-" + signal;
    for (int i = 0; i < times; i++) {
      command[i + 2] = String.valueOf(pid);
    }
    Process kill = new ProcessBuilder(command).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
    }
  }

  Map<String, String> environmentOf(long pid) throws IOException {
    Map<String, String> env = new HashMap<>();
    for (String entry : Files.readString(Path.of("/proc/" + pid + "/environ")).split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }

  @Override
  public void close() {
    process.destroy(); // SIGTERM: bin/local-pod stops the app first and the logger last
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
