package io.podreload.logger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lines to Grafana Loki's push API ({@code POST /loki/api/v1/push}, JSON): one stream per file,
 * labelled with {@code LOGGER_LOKI_LABELS} plus {@code filename}; values are {@code [<unix epoch
 * nanoseconds as a string>, <line>]}.
 */
final class LokiOutput implements Output {
  private static final Logger LOG = LoggerFactory.getLogger(LokiOutput.class);

  private final LoggerSettings.LokiSettings settings;
  private final BackendClient client;
  private final Metrics.OutputMetrics metrics;
  private final URI pushUri;
  private long lastNanos;

  LokiOutput(LoggerSettings.LokiSettings settings, Metrics.OutputMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.client = new BackendClient(name(), settings.access(), "LOGGER_LOKI_CACERT", metrics);
    this.pushUri = URI.create(settings.url() + "/loki/api/v1/push");
  }

  @Override
  public String name() {
    return "loki";
  }

  @Override
  public LoggerSettings.Batching batching() {
    return settings.batching();
  }

  @Override
  public void write(Batch batch, StopSignal stop) throws IOException, InterruptedException {
    Map<Path, StringBuilder> streams = new LinkedHashMap<>();
    long nanos = Math.max(TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()), lastNanos + 1);
    for (int i = 0; i < batch.count(); i++) {
      StringBuilder values = streams.computeIfAbsent(batch.file(i), f -> new StringBuilder());
      if (values.length() > 0) {
        values.append(',');
      }
      // strictly increasing timestamps keep the file's order within the stream
      values.append("[\"").append(nanos++).append("\",");
      // a piece of an over-long line carries stdout's marker: Loki keeps no field of its own for
      // it without structured metadata, which older servers refuse
      Json.appendString(
          values,
          batch.data(),
          batch.start(i),
          batch.length(i),
          batch.isSplit(i) ? SPLIT_MARKER : "");
      values.append(']');
    }
    lastNanos = nanos;
    StringBuilder body = new StringBuilder("{\"streams\":[");
    boolean first = true;
    for (Map.Entry<Path, StringBuilder> stream : streams.entrySet()) {
      body.append(first ? "" : ",").append("{\"stream\":{");
      first = false;
      for (Map.Entry<String, String> label : settings.labels().entrySet()) {
        body.append('"');
        Json.appendEscaped(body, label.getKey());
        body.append("\":\"");
        Json.appendEscaped(body, label.getValue());
        body.append("\",");
      }
      body.append("\"filename\":\"");
      Json.appendEscaped(body, stream.getKey().toString());
      body.append("\"},\"values\":[").append(stream.getValue()).append("]}");
    }
    body.append("]}");
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    long backoff = 100;
    while (true) {
      HttpResponse<String> response =
          client.post(pushUri, "application/json", bytes, bytes.length, stop);
      int status = response.statusCode();
      if (status / 100 == 2) {
        metrics.linesWritten.increment(batch.count());
        metrics.bytesWritten.increment(bytes.length);
        return;
      }
      if (status == 400) {
        // Loki refuses these lines for good (too old, too long); sending again cannot help
        metrics.rejected.increment(batch.count());
        LOG.error(
            "[{}] Loki refused {} lines for good: HTTP 400 {}",
            name(),
            batch.count(),
            BackendClient.abbreviate(response.body()));
        return;
      }
      // 401, 403, 404: a setting is wrong; the lines wait in the file until it is fixed
      client.retryAfter(
          "push refused: HTTP "
              + status
              + " "
              + BackendClient.abbreviate(response.body())
              + " (check LOGGER_LOKI_URL and access)",
          backoff,
          stop);
      backoff = Math.min(30_000, backoff * 2);
    }
  }
}
