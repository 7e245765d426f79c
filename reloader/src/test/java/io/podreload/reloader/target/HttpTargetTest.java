package io.podreload.reloader.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.podreload.common.ConfigFile;
import io.podreload.common.DirSnapshot;
import io.podreload.common.PrometheusRegistry;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.TestSettings;
import io.podreload.reloader.pipeline.ReloadPipeline;
import io.podreload.reloader.pipeline.ReloaderMetrics;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.signal.TriggerException.Reason;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.AppTarget.Answer;
import io.podreload.reloader.target.AppTarget.Answer.Result;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The http target against a real HTTP server on loopback, standing in for an app that reloads on
 * {@code POST /-/reload} as Prometheus does: it answers what the test chooses and, when the test
 * says so, writes the status file the way the app does.
 */
class HttpTargetTest {

  @TempDir Path tmp;
  final List<String> requests = new CopyOnWriteArrayList<>();
  final CountDownLatch release = new CountDownLatch(1);
  HttpServer server;
  volatile IntSupplier answer = () -> 200;
  volatile boolean writesStatus;
  volatile boolean hangs;
  DirSnapshot content;

  @AfterEach
  void stop() {
    release.countDown();
    if (server != null) {
      server.stop(0);
    }
  }

  int startApp(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/-/reload",
        exchange -> {
          requests.add(exchange.getRequestMethod());
          try {
            if (hangs) {
              release.await();
            }
            int code = answer.getAsInt();
            if (code / 100 == 2 && writesStatus) {
              writeStatus(requests.size(), content);
            }
            byte[] body = "failed: password=s3cret".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, body.length);
            exchange.getResponseBody().write(body);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            exchange.close();
          }
        });
    server.start();
    return server.getAddress().getPort();
  }

  void writeStatus(long attempt, DirSnapshot loaded) throws IOException {
    StatusFile.write(
        tmp.resolve("status.json"),
        new ReloadStatus(
            4242,
            attempt,
            "v" + attempt,
            ReloadStatus.APPLIED,
            null,
            Instant.now().toString(),
            attempt,
            Map.of(loaded.key(), loaded.hash())));
  }

  ReloaderSettings settings(int port, String... overrides) {
    Map<String, String> o = new HashMap<>();
    o.put("reloader.target", "http");
    o.put("reloader.target-url", "http://127.0.0.1:" + port + "/-/reload");
    o.put("reloader.target-timeout", "500");
    o.put("reloader.confirm-timeout", "1000");
    o.put("reloader.status-file", tmp.resolve("status.json").toString());
    for (int i = 0; i < overrides.length; i += 2) {
      o.put(overrides[i], overrides[i + 1]);
    }
    return TestSettings.reloader(Path.of("/proc"), o);
  }

  Map<String, String> expect(String yaml) {
    content =
        new DirSnapshot(
            tmp.resolve("config"),
            true,
            List.of(new ConfigFile("application.yml", yaml.getBytes(StandardCharsets.UTF_8))));
    return Map.of(content.key(), content.hash());
  }

  @Test
  void withoutAStatusFileThe2xxConfirmsTheReload() throws Exception {
    HttpTarget target = new HttpTarget(settings(startApp(0)));
    Answer answer = target.reload(expect("a: 1\n"));
    assertThat(answer.result()).isEqualTo(Result.APPLIED);
    assertThat(answer.who()).contains("POST").contains("/-/reload").contains("HTTP 200");
    assertThat(requests).containsExactly("POST");
  }

  @Test
  void theMethodIsTheConfiguredOne() throws Exception {
    HttpTarget target = new HttpTarget(settings(startApp(0), "reloader.target-method", "put"));
    target.reload(expect("a: 1\n"));
    assertThat(requests).containsExactly("PUT");
  }

  @Test
  void withAStatusFileTheReloadIsConfirmedOnlyWhenItReportsTheNewContent() throws Exception {
    int port = startApp(0);
    expect("a: 0\n");
    writeStatus(1, content); // the app, started on older content
    HttpTarget target = new HttpTarget(settings(port));
    Map<String, String> expected = expect("a: 1\n");
    assertThat(target.serving(expected)).isEmpty();

    // Answers 2xx but never writes the new content: not confirmed.
    Answer silent = target.reload(expected);
    assertThat(silent.result()).isEqualTo(Result.UNANSWERED);
    assertThat(silent.message()).contains("did not report the new content").contains("status.json");

    writesStatus = true;
    assertThat(target.reload(expected).result()).isEqualTo(Result.APPLIED);
    assertThat(target.serving(expected)).isPresent(); // the next change of nothing is skipped
    assertThat(target.find()).contains(4242L);
  }

  @Test
  void aNon2xxAnswerIsAFailureThatNeverQuotesTheBody() throws Exception {
    answer = () -> 500;
    HttpTarget target = new HttpTarget(settings(startApp(0)));
    assertThatThrownBy(() -> target.reload(expect("a: 1\n")))
        .isInstanceOfSatisfying(
            TriggerException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FAILED))
        .hasMessageContaining("HTTP 500")
        .hasMessageContaining("keeps its last good config")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void anAppThatDoesNotAnswerInTimeIsAFailureNamingTheSetting() throws Exception {
    hangs = true;
    HttpTarget target = new HttpTarget(settings(startApp(0)));
    long start = System.nanoTime();
    assertThatThrownBy(() -> target.reload(expect("a: 1\n")))
        .isInstanceOfSatisfying(
            TriggerException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FAILED))
        .hasMessageContaining("no answer within 500 ms")
        .hasMessageContaining("RELOADER_TARGET_TIMEOUT");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void nobodyListeningIsAMissingTarget() throws Exception {
    int port = freePort();
    HttpTarget target = new HttpTarget(settings(port));
    assertThat(target.find()).isPresent();
    assertThatThrownBy(() -> target.reload(expect("a: 1\n")))
        .isInstanceOfSatisfying(
            TriggerException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_TARGET))
        .hasMessageContaining("cannot connect")
        .hasMessageContaining("RELOADER_TARGET_URL");
    assertThat(target.find()).isEmpty();
  }

  @Test
  void thePipelineRetriesWithBackoffUntilTheAppTakesTheReload() throws Exception {
    // First nobody listens, then the app answers 503 twice, then it reloads.
    int port = freePort();
    ReloaderSettings settings = settings(port, "reloader.retry-max", "400");
    PrometheusRegistry registry = new PrometheusRegistry();
    AtomicInteger unavailable = new AtomicInteger(2);
    answer = () -> unavailable.getAndDecrement() > 0 ? 503 : 200;
    try (ReloadPipeline pipeline =
        new ReloadPipeline(
            settings,
            new HttpTarget(settings),
            new ReloaderMetrics(registry),
            List.of(),
            Clock.systemUTC())) {
      pipeline.start();
      expect("a: 1\n");
      pipeline.changed(new SourceChange("volume", content, Instant.now(), ""));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> registry.value("reloader_signal_errors_total", "reason", "no_target") >= 2);
      assertThat(pipeline.lastFailure()).get().asString().contains("cannot connect");
      startApp(port);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> registry.value("reloader_reloads_total", "result", "applied") == 1);
      assertThat(requests).hasSize(3);
      assertThat(registry.value("reloader_signal_errors_total", "reason", "failed")).isEqualTo(2);
      assertThat(registry.value("reloader_signals_total")).isEqualTo(1);
      assertThat(pipeline.lastFailure()).isEmpty();
    }
  }

  @Test
  void theHttpTargetNeedsAUsableUrlAndMethod() {
    assertThat(settings(1, "reloader.target-url", "").problems())
        .anyMatch(p -> p.contains("RELOADER_TARGET_URL"));
    assertThat(settings(1, "reloader.target-url", "127.0.0.1:9090/-/reload").problems())
        .anyMatch(p -> p.contains("RELOADER_TARGET_URL"));
    assertThat(settings(1, "reloader.target-method", "DELETE").problems())
        .anyMatch(p -> p.contains("RELOADER_TARGET_METHOD"));
    assertThat(settings(1, "reloader.target", "webhook").problems())
        .anyMatch(p -> p.contains("RELOADER_TARGET must be signal or http"));
    assertThat(settings(1, "reloader.target", "signal").problems())
        .anyMatch(p -> p.contains("set RELOADER_TARGET=http"));
    assertThat(settings(1).problems()).isEmpty();
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
