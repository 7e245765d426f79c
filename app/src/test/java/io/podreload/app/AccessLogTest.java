package io.podreload.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.micronaut.testing.HostProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access log of the real app process: one line per request, across rotation and shutdown. */
class AccessLogTest {

  @TempDir Path work;

  @Test
  void everyRequestGivesExactlyOneLineAcrossRotationsAndAGracefulShutdown() throws Exception {
    Files.createDirectories(work.resolve("config"));
    Files.writeString(work.resolve("config/application.yml"), "app:\n  greeting: hi\n");
    Map<String, String> env =
        Map.of("APP_ACCESS_LOG_MAX_BYTES", "4096", "APP_ACCESS_LOG_KEEP", "50");
    int requests = 500;
    try (HostProcess app = HostProcess.start(Application.class, work, env)) {
      for (int i = 0; i < requests; i++) {
        assertThat(app.send("/?n=" + i + "&x=%20y").statusCode()).isEqualTo(200);
      }
      assertThat(app.stop()).isIn(0, 143);
      List<String> lines = allLines(app.accessLog);
      List<String> numbered = lines.stream().filter(line -> line.contains(" GET /?n=")).toList();
      assertThat(numbered).hasSize(requests);
      for (int i = 0; i < requests; i++) {
        String target = " GET /?n=" + i + "&x=%20y 200 2 ";
        assertThat(numbered).filteredOn(line -> line.contains(target)).hasSize(1);
      }
      assertThat(Files.exists(app.accessLog.resolveSibling("access.log.1"))).isTrue();
      assertThat(numbered.get(0))
          .matches("\\S+Z GET /\\?n=0&x=%20y 200 2 \\d+\\.\\d{3} [0-9a-f]+-[0-9a-f]+");
    }
  }

  @Test
  void aRequestIdFromTheClientIsLoggedAndReturned() throws Exception {
    Files.createDirectories(work.resolve("config"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      var response =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + app.port + "/missing"))
                      .header("X-Request-Id", "abc-123")
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(404);
      assertThat(response.headers().firstValue("X-Request-Id")).contains("abc-123");
      app.stop();
      assertThat(allLines(app.accessLog))
          .anyMatch(l -> l.contains(" GET /missing 404 ") && l.endsWith(" abc-123"));
    }
  }

  /** The rotated files oldest first, then the current one. */
  private static List<String> allLines(Path log) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> siblings = Files.list(log.getParent())) {
      siblings
          .filter(p -> p.getFileName().toString().startsWith("access.log."))
          .sorted(
              (a, b) ->
                  Integer.compare(
                      Integer.parseInt(b.getFileName().toString().substring(11)),
                      Integer.parseInt(a.getFileName().toString().substring(11))))
          .forEach(files::add);
    }
    files.add(log);
    List<String> lines = new ArrayList<>();
    for (Path file : files) {
      if (Files.exists(file)) {
        lines.addAll(Files.readAllLines(file));
      }
    }
    return lines;
  }
}
