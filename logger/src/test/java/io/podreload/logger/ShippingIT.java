package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every line also reaches a backend: a real OpenSearch, and a fake of Loki's push API. */
class ShippingIT {
  @TempDir Path dir;

  @Test
  void everyLineReachesLokiAsAStreamWithItsLabelsAndStdoutToo() throws Exception {
    Path log = dir.resolve("access.log");
    try (FakeLoki loki = new FakeLoki();
        SequenceWriter writer = new SequenceWriter(log);
        LoggerProcess logger =
            LoggerProcess.start(
                dir,
                dir.resolve("stdout.txt"),
                Map.of(
                    "LOGGER_FILES",
                    log.toString(),
                    "LOGGER_LOKI_URL",
                    loki.url(),
                    "LOGGER_LOKI_LABELS",
                    "job=app,env=test",
                    "LOGGER_LOKI_BATCH_WAIT",
                    "100ms"))) {
      writer.write(3000);
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () -> {
                assertThat(loki.problems).isEmpty();
                assertThat(loki.lines).isEqualTo(SequenceWriter.expected(0, 3000));
                assertThat(logger.lines()).isEqualTo(SequenceWriter.expected(0, 3000));
              });
      assertThat(loki.streams)
          .allSatisfy(
              labels ->
                  assertThat(labels)
                      .containsEntry("job", "app")
                      .containsEntry("env", "test")
                      .containsEntry("filename", log.toString()));
      // Counted once the logger has read the answer, which may come after the fake has the lines.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(logger.get("/prometheus"))
                      .contains("logger_lines_written_total{output=\"loki\"} 3000"));
    }
  }

  /** One real OpenSearch for the class: it takes about 30 s to start. */
  @TempDir static Path searchDir;

  private static Process opensearch;
  private static String base;

  private static synchronized String openSearch() throws Exception {
    if (opensearch == null) {
      int httpPort = LoggerProcess.freePort();
      opensearch = startOpenSearch(Path.of(System.getProperty("opensearch.home")), httpPort);
      base = "http://127.0.0.1:" + httpPort;
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !opensearch.isAlive() || status(base + "/_cluster/health") == 200);
    }
    assertThat(opensearch.isAlive()).as("OpenSearch runs (see its log in %s)", searchDir).isTrue();
    return base;
  }

  @AfterAll
  static void stopOpenSearch() throws InterruptedException {
    if (opensearch != null) {
      opensearch.destroy();
      opensearch.waitFor();
    }
  }

  @Test
  void everyLineIsIndexedOnceInARealOpenSearch() throws Exception {
    String base = openSearch();
    Path log = dir.resolve("access.log");
    try (SequenceWriter writer = new SequenceWriter(log);
        LoggerProcess logger =
            LoggerProcess.start(
                dir,
                dir.resolve("stdout.txt"),
                Map.of(
                    "LOGGER_FILES", log.toString(),
                    "LOGGER_ELASTICSEARCH_URL", base,
                    "LOGGER_ELASTICSEARCH_INDEX", "access-it",
                    "LOGGER_ELASTICSEARCH_BATCH_LINES", "500",
                    "LOGGER_ELASTICSEARCH_BATCH_WAIT", "200ms"))) {
      writer.write(2000);
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> count(base, "access-it") == 2000);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(logger.get("/prometheus"))
                      .contains("logger_lines_written_total{output=\"elasticsearch\"} 2000"));
      // SIGTERM and a restart send nothing twice (documents also carry file@offset ids)
      assertThat(logger.terminate()).isEqualTo(LoggerProcess.EXIT_ON_SIGTERM);
    }
    String hit = get(base + "/access-it/_search?q=message:%2200000042%22");
    assertThat(hit).contains(SequenceWriter.line(42)).contains("\"path\":\"" + log + "\"");
  }

  /**
   * A line sent again after kill -9 gets the id it had the first time, also while its file was
   * shorter than the bytes a file identity looks at: every line is indexed exactly once.
   */
  @Test
  void linesSentAgainAfterKill9AreIndexedOnceAlsoWhileTheFileIsSmallAndGrowing() throws Exception {
    String base = openSearch();
    Path log = dir.resolve("short.log");
    Map<String, String> env =
        Map.of(
            "LOGGER_FILES", log.toString(),
            "LOGGER_ELASTICSEARCH_URL", base,
            "LOGGER_ELASTICSEARCH_INDEX", "short-it",
            "LOGGER_ELASTICSEARCH_BATCH_WAIT", "100ms",
            // no checkpoint before the kill: everything read is sent again after the restart
            "LOGGER_CHECKPOINT_INTERVAL", "60m");
    int total = 0;
    for (int round = 0; round < 3; round++) {
      try (LoggerProcess logger = LoggerProcess.start(dir, dir.resolve("stdout.txt"), env)) {
        for (int i = 0; i < 2; i++, total++) {
          Files.writeString(
              log,
              "GET /" + total + " 200\n",
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
        }
        int expected = total;
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () ->
                    assertThat(logger.get("/prometheus"))
                        .contains(
                            "logger_lines_written_total{output=\"elasticsearch\"} " + expected));
        logger.kill9();
      }
    }
    assertThat(Files.size(log)).isLessThan(FileIdentity.FINGERPRINT_BYTES);
    assertThat(count(base, "short-it")).isEqualTo(total);
  }

  /** OpenSearch refuses root: it runs as nobody, on a copy of its config in the temp dir. */
  private static Process startOpenSearch(Path installed, int httpPort)
      throws IOException, InterruptedException {
    Path dir = searchDir;
    Path os = Files.createDirectories(dir.resolve("opensearch"));
    // OpenSearch refuses root and runs as nobody, who may not reach the build dir (a clone in a
    // private temp dir): run a copy that nobody can read.
    Path home = os.resolve("home");
    Process copy =
        new ProcessBuilder("cp", "-a", installed.toString(), home.toString()).inheritIO().start();
    if (copy.waitFor() != 0
        || new ProcessBuilder("chmod", "-R", "a+rX", home.toString()).start().waitFor() != 0) {
      throw new IOException("cannot copy OpenSearch from " + installed);
    }
    Path config = os.resolve("config");
    try (Stream<Path> files = Files.walk(home.resolve("config"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = config.resolve(home.resolve("config").relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    Files.writeString(
        config.resolve("opensearch.yml"),
        String.join(
            "\n",
            "discovery.type: single-node",
            "network.host: 127.0.0.1",
            "http.port: " + httpPort,
            "transport.port: " + LoggerProcess.freePort(),
            "path.data: " + os.resolve("data"),
            "path.logs: " + os.resolve("logs"),
            "cluster.routing.allocation.disk.threshold_enabled: false",
            ""));
    // its GC log and dumps go to paths relative to the install dir, which nobody may write
    Path jvmOptions = config.resolve("jvm.options");
    Files.writeString(
        jvmOptions,
        Files.readString(jvmOptions)
            .replace("logs/", os.resolve("logs") + "/")
            .replace("HeapDumpPath=data", "HeapDumpPath=" + os.resolve("data")));
    Files.createDirectories(os.resolve("data"));
    Files.createDirectories(os.resolve("logs"));
    for (Path p : new Path[] {dir, os, config, os.resolve("data"), os.resolve("logs")}) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
    }
    try (Stream<Path> files = Files.walk(config)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.setPosixFilePermissions(
            f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxrwxrwx" : "rw-rw-rw-"));
      }
    }
    ProcessBuilder pb =
        new ProcessBuilder(
            "setpriv",
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            home.resolve("bin").resolve("opensearch").toString());
    pb.environment().put("OPENSEARCH_JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64");
    pb.environment().put("OPENSEARCH_PATH_CONF", config.toString());
    pb.environment().put("OPENSEARCH_JAVA_OPTS", "-Xms512m -Xmx512m");
    pb.redirectErrorStream(true);
    pb.redirectOutput(os.resolve("console.log").toFile());
    return pb.start();
  }

  private static long count(String base, String index) {
    try {
      get(base + "/" + index + "/_refresh");
      String body = get(base + "/" + index + "/_count");
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"count\":(\\d+)").matcher(body);
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static int status(String url) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String get(String url) throws IOException {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
