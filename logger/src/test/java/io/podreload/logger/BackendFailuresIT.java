package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backends that refuse: fakes that fail on cue, and the logger's retries and counts. */
class BackendFailuresIT {
  @TempDir Path dir;

  @Test
  void bulkRefusalsAreRetriedPerItemAndLinesRefusedForGoodAreCounted() throws Exception {
    Path log = dir.resolve("access.log");
    String refused = SequenceWriter.line(42);
    try (FakeBulkServer bulk = new FakeBulkServer();
        SequenceWriter writer = new SequenceWriter(log)) {
      bulk.refuse = refused::equals;
      bulk.thenRequestStatus(429)
          .thenRequestStatus(503)
          // half the items of a request are refused for now (queue full): only those go again
          .thenItems(m -> m.hashCode() % 2 == 0 ? 429 : null);
      writer.write(3000);
      try (LoggerProcess logger =
          LoggerProcess.start(
              dir,
              dir.resolve("stdout.txt"),
              Map.of(
                  "LOGGER_FILES",
                  log.toString(),
                  "LOGGER_ELASTICSEARCH_URL",
                  bulk.url(),
                  "LOGGER_ELASTICSEARCH_BATCH_LINES",
                  "500",
                  "LOGGER_ELASTICSEARCH_BATCH_WAIT",
                  "100ms"))) {
        List<String> expected = new ArrayList<>(SequenceWriter.expected(0, 3000));
        expected.remove(refused);
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(() -> assertThat(bulk.acceptedMessages()).isEqualTo(expected));
        // The fake has the last batch before the logger has read its answer and counted it.
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(logger.get("/prometheus"))
                        .contains("logger_lines_written_total{output=\"elasticsearch\"} 2999")
                        .contains("logger_rejected_lines_total{output=\"elasticsearch\"} 1"));
        String metrics = logger.get("/prometheus");
        assertThat(counter(metrics, "logger_retries_total{output=\"elasticsearch\"}"))
            .isGreaterThanOrEqualTo(3);
        assertThat(logger.errors()).contains("refused a line for good (HTTP 400)");
        assertThat(bulk.duplicates).isEmpty();
        assertThat(bulk.problems).isEmpty();
      }
    }
  }

  @Test
  void lokiPushesRefusedWith429Or503AreRetriedAndArriveOnce() throws Exception {
    Path log = dir.resolve("access.log");
    try (FakeLoki loki = new FakeLoki();
        SequenceWriter writer = new SequenceWriter(log)) {
      loki.failNext.add(429);
      loki.failNext.add(503);
      writer.write(2000);
      try (LoggerProcess logger =
          LoggerProcess.start(
              dir,
              dir.resolve("stdout.txt"),
              Map.of(
                  "LOGGER_FILES", log.toString(),
                  "LOGGER_LOKI_URL", loki.url(),
                  "LOGGER_LOKI_BATCH_WAIT", "100ms"))) {
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () -> assertThat(loki.lines).isEqualTo(SequenceWriter.expected(0, 2000)));
        String metrics = logger.get("/prometheus");
        assertThat(counter(metrics, "logger_retries_total{output=\"loki\"}"))
            .isGreaterThanOrEqualTo(2);
        assertThat(metrics).contains("logger_rejected_lines_total{output=\"loki\"} 0");
        assertThat(loki.problems).isEmpty();
      }
    }
  }

  @Test
  void aLokiPushRefusedFor400IsReportedAndCounted() throws Exception {
    Path log = dir.resolve("access.log");
    try (FakeLoki loki = new FakeLoki();
        SequenceWriter writer = new SequenceWriter(log)) {
      loki.failNext.add(400);
      writer.write(10);
      try (LoggerProcess logger =
          LoggerProcess.start(
              dir,
              dir.resolve("stdout.txt"),
              Map.of(
                  "LOGGER_FILES", log.toString(),
                  "LOGGER_LOKI_URL", loki.url(),
                  "LOGGER_LOKI_BATCH_WAIT", "100ms"))) {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    String.valueOf(logger.get("/prometheus"))
                        .contains("logger_rejected_lines_total{output=\"loki\"} 10"));
        assertThat(logger.errors()).contains("Loki refused 10 lines for good: HTTP 400");
        writer.write(5);
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(() -> assertThat(loki.lines).isEqualTo(SequenceWriter.expected(10, 15)));
      }
    }
  }

  private static long counter(String metrics, String name) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ")) {
        return (long) Double.parseDouble(line.substring(name.length() + 1));
      }
    }
    return -1;
  }
}
