package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logger's probes, in process: what /health, its liveness and readiness say, and when. */
class LoggerServiceTest {
  @TempDir Path dir;

  private LoggerSettings settings() {
    Map<String, String> env =
        Map.of(
            "logger.files",
            dir.resolve("access.log").toString(),
            "logger.state-dir",
            dir.resolve("state").toString(),
            "logger.stall-timeout",
            "1s",
            "logger.shutdown-timeout",
            "1s");
    return LoggerSettings.from(name -> Optional.ofNullable(env.get(name)));
  }

  @Test
  void healthIsDownUntilEveryOutputRunsThenUp() throws Exception {
    LoggerService service = new LoggerService(settings(), new Metrics(new PrometheusRegistry()));
    assertThat(Application.health(service).status()).isEqualTo(503);
    assertThat(service.ready()).isFalse();
    service.start(
        List.of(
            new StdoutOutput(
                new StdoutOutputTest.FlakyChannel(0),
                LoggerSettings.Format.RAW,
                new Metrics(new PrometheusRegistry()).forOutput("stdout"))));
    try {
      assertThat(Application.health(service).status()).isEqualTo(200);
      assertThat(Application.health(service).body())
          .contains("\"ready\":true")
          .contains("\"stdout\":{\"alive\":true,\"failing\":false");
    } finally {
      service.stop();
    }
  }

  /** A backend that is down makes the output fail, a detail and a metric: the pod stays ready. */
  @Test
  void anOutputThatFailsIsADetailAndAMetricNotDown() throws Exception {
    Metrics metrics = new Metrics(new PrometheusRegistry());
    LoggerService service = new LoggerService(settings(), metrics);
    java.nio.file.Files.writeString(dir.resolve("access.log"), "GET / 200\n");
    Output refusing =
        new Output() {
          @Override
          public String name() {
            return "elasticsearch";
          }

          @Override
          public LoggerSettings.Batching batching() {
            return new LoggerSettings.Batching(10, 1024, Duration.ZERO);
          }

          @Override
          public void write(Batch batch, StopSignal stopping) throws java.io.IOException {
            throw new java.io.IOException("connection refused");
          }
        };
    service.start(List.of(refusing));
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(metrics.registry().scrape())
                      .contains("logger_output_failing{output=\"elasticsearch\"} 1"));
      assertThat(service.ready()).isTrue();
      assertThat(service.live()).isTrue();
      assertThat(Application.health(service).status()).isEqualTo(200);
      assertThat(Application.health(service).body())
          .contains("\"failing\":true")
          .contains("connection refused");
    } finally {
      service.stop();
    }
  }
}
