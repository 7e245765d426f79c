package io.podreload.logger;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The logger as a real process (its JVM flags, the test class path), stdout to a file. */
final class LoggerProcess implements AutoCloseable {

  final Path stdout;
  final Path stderr;
  final int port;
  final Process process;

  private LoggerProcess(Path work, Path log, int run, Map<String, String> extra, boolean pipe)
      throws IOException {
    this.stdout = work.resolve("stdout." + run);
    this.stderr = work.resolve("stderr." + run);
    this.port = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + Path.of("jvm.options").toAbsolutePath());
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.add(Application.class.getName());
    ProcessBuilder builder = new ProcessBuilder(command);
    if (!pipe) {
      builder.redirectOutput(stdout.toFile());
    }
    builder.redirectError(stderr.toFile());
    Map<String, String> env = new HashMap<>();
    env.put("LOGGER_FILES", log.toString());
    env.put("LOGGER_STATE_DIR", work.resolve("state").toString());
    env.put("LOGGER_HTTP_PORT", Integer.toString(port));
    env.put("LOGGER_PARTIAL_LINE_TIMEOUT", "300ms");
    env.putAll(extra);
    builder.environment().putAll(env);
    this.process = builder.start();
  }

  static LoggerProcess start(Path work, Path log, int run, Map<String, String> extra)
      throws IOException {
    return started(new LoggerProcess(work, log, run, extra, false));
  }

  /** With stdout as a pipe the test reads from (or does not). */
  static LoggerProcess startPiped(Path work, Path log, Map<String, String> extra)
      throws IOException {
    return started(new LoggerProcess(work, log, 0, extra, true));
  }

  private static LoggerProcess started(LoggerProcess logger) {
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> {
              if (!logger.process.isAlive()) {
                throw new AssertionError("the logger exited:\n" + Files.readString(logger.stderr));
              }
              return !get(logger.port, "/health").isEmpty();
            });
    return logger;
  }

  /** SIGTERM, then the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    process.waitFor(30, TimeUnit.SECONDS);
    return process.exitValue();
  }

  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  double metric(String regex) {
    Matcher m =
        Pattern.compile("^(" + regex + ") ([0-9.eE+-]+)$", Pattern.MULTILINE)
            .matcher(get(port, "/prometheus"));
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }

  String log() throws IOException {
    return Files.readString(stderr);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  /** How often each sequence number appears in the given stdout files. */
  static Map<Long, Long> sequences(List<Path> outputs) throws IOException {
    List<String> lines = new ArrayList<>();
    for (Path output : outputs) {
      if (Files.exists(output)) {
        lines.addAll(Files.readAllLines(output, StandardCharsets.UTF_8));
      }
    }
    return lines.stream()
        .filter(l -> l.startsWith("seq="))
        .map(l -> Long.parseLong(l.substring(4, l.indexOf(' '))))
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }

  static String get(int port, String path) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
