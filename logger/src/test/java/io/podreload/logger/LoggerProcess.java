package io.podreload.logger;

import java.io.IOException;
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
import java.util.concurrent.TimeUnit;

/** The built logger jar as a real process, started as the pod starts it (jvm.options, env). */
final class LoggerProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** What a JVM returns when SIGTERM ended it after its shutdown hooks ran (128 + 15). */
  static final int EXIT_ON_SIGTERM = 143;

  final Process process;
  final int port;
  final Path stdout;
  final Path stderr;

  private LoggerProcess(Process process, int port, Path stdout, Path stderr) {
    this.process = process;
    this.port = port;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Starts the jar with stdout to {@code stdout} (or a pipe when null). */
  static LoggerProcess start(Path dir, Path stdout, Map<String, String> env) throws IOException {
    return start(
        dir,
        stdout,
        env,
        List.of(),
        Path.of(System.getProperty("logger.jvmOptions", "jvm.options")),
        Path.of(System.getProperty("logger.jar", "target/logger.jar")));
  }

  /**
   * Starts the jar as the unprivileged user nobody (65534), as the pod runs the logger under
   * another UID than the app that writes the log. The jar is copied into {@code dir}, which is
   * opened to all, since the build directory may be private.
   */
  static LoggerProcess startAsNobody(Path dir, Path stdout, Map<String, String> env)
      throws IOException {
    Path jars = Files.createDirectories(dir.resolve("jar"));
    Path jar =
        Files.copy(
            Path.of(System.getProperty("logger.jar", "target/logger.jar")),
            jars.resolve("logger.jar"));
    Path options =
        Files.copy(
            Path.of(System.getProperty("logger.jvmOptions", "jvm.options")),
            jars.resolve("jvm.options"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(jars, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (Path p : List.of(jar, options)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }
    return start(
        dir,
        stdout,
        env,
        List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"),
        options,
        jar);
  }

  /** Starts the jar behind {@code prefix} (a tracer, for example), as {@link #start} does. */
  static LoggerProcess startUnder(
      List<String> prefix, Path dir, Path stdout, Map<String, String> env) throws IOException {
    return start(
        dir,
        stdout,
        env,
        prefix,
        Path.of(System.getProperty("logger.jvmOptions", "jvm.options")),
        Path.of(System.getProperty("logger.jar", "target/logger.jar")));
  }

  private static LoggerProcess start(
      Path dir,
      Path stdout,
      Map<String, String> env,
      List<String> prefix,
      Path jvmOptions,
      Path jar)
      throws IOException {
    int port = freePort();
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> environment = new HashMap<>(env);
    environment.putIfAbsent("LOGGER_STATE_DIR", dir.resolve("state").toString());
    environment.put("LOGGER_HTTP_PORT", Integer.toString(port));
    pb.environment().putAll(environment);
    Path stderr = Files.createTempFile(dir, "logger-", ".err");
    pb.redirectError(stderr.toFile());
    if (stdout != null) {
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()));
    }
    return new LoggerProcess(pb.start(), port, stdout, stderr);
  }

  List<String> lines() throws IOException {
    return Files.exists(stdout) ? Files.readAllLines(stdout, StandardCharsets.UTF_8) : List.of();
  }

  String errors() throws IOException {
    return Files.readString(stderr);
  }

  /** GET on the status port; null while it is not up. */
  String get(String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** SIGTERM and wait for the exit code. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the logger did not stop within 60 s of SIGTERM");
    }
    return process.exitValue();
  }

  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
