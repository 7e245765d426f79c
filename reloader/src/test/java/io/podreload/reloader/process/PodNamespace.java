package io.podreload.reloader.process;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod-like PID namespace for real processes: a fresh one from {@code unshare --pid --fork
 * --mount-proc} when running as root (processes join it with {@code nsenter}), else the host's.
 * Closing it ends every process in it.
 */
final class PodNamespace implements AutoCloseable {

  static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Process holder;
  private final long initPid; // PID 1 of the namespace, as the host sees it
  private final List<Process> started = new ArrayList<>();

  private PodNamespace(Process holder, long initPid) {
    this.holder = holder;
    this.initPid = initPid;
  }

  static boolean fresh() {
    return "root".equals(System.getProperty("user.name"))
        && Files.isExecutable(Path.of("/usr/bin/unshare"))
        && Files.isExecutable(Path.of("/usr/bin/nsenter"));
  }

  static PodNamespace create() throws IOException {
    if (!fresh()) {
      return new PodNamespace(null, 0);
    }
    Process holder =
        new ProcessBuilder(
                "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "sleep", "infinity")
            .start();
    Path children =
        Path.of(
            "/proc", Long.toString(holder.pid()), "task", Long.toString(holder.pid()), "children");
    String child =
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(() -> Files.readString(children).trim(), s -> !s.isEmpty());
    return new PodNamespace(holder, Long.parseLong(child.split(" ")[0]));
  }

  /** Starts {@code command} in the namespace, its output to {@code output}. */
  Process start(List<String> command, Map<String, String> env, Path output) throws IOException {
    List<String> full = new ArrayList<>();
    if (holder != null) {
      full.addAll(List.of("nsenter", "-t", Long.toString(initPid), "-p", "-m", "--"));
    }
    full.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    builder.environment().putAll(env);
    Process process = builder.start();
    started.add(process);
    return process;
  }

  /** The host pid of the one process whose command line contains {@code marker}. */
  long hostPidOf(String marker) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .filter(p -> !p.info().command().orElse("").endsWith("nsenter"))
        .filter(p -> !forkedCopy(p))
        .mapToLong(ProcessHandle::pid)
        .max()
        .orElseThrow(() -> new IllegalStateException("no process with " + marker));
  }

  /**
   * A child that a matching process forked and that has not exec'd yet (bash about to run {@code
   * sleep}, a JVM spawning a helper): for a moment it has its parent's command line, and the
   * highest pid. Taken for the target, it names a process that is gone a moment later.
   */
  private static boolean forkedCopy(ProcessHandle p) {
    Optional<String> line = p.info().commandLine();
    return line.isPresent()
        && p.parent().map(q -> q.info().commandLine().equals(line)).orElse(false);
  }

  /** The pid as seen inside the namespace (the last NSpid), which the status file holds. */
  static long podPidOf(long hostPid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(hostPid), "status"))) {
      if (line.startsWith("NSpid:")) {
        String[] pids = line.substring(6).trim().split("\\s+");
        return Long.parseLong(pids[pids.length - 1]);
      }
    }
    return hostPid;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static String get(int port, String path) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** The sum of a Prometheus metric's samples whose name and labels match {@code regex}. */
  static double metric(int port, String regex) {
    Matcher m =
        Pattern.compile("^(" + regex + ") ([0-9.eE+-]+)$", Pattern.MULTILINE)
            .matcher(get(port, "/prometheus"));
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }

  @Override
  public void close() {
    for (Process process : started) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    if (holder != null) {
      holder.destroyForcibly(); // --kill-child: the namespace's init dies, and all in it
    }
  }
}
