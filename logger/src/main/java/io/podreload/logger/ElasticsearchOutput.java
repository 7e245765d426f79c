package io.podreload.logger;

import io.podreload.common.JsonTree;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lines to Elasticsearch or OpenSearch through the bulk API. Each document's id is its file
 * identity and offset, so a line sent twice (a retry, a restart after kill -9) is stored once.
 * Items refused with 429 or 5xx are sent again; items refused for good (a mapping conflict) are
 * counted and logged, since sending them again would never succeed.
 */
final class ElasticsearchOutput implements Output {
  private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchOutput.class);

  private final LoggerSettings.ElasticsearchSettings settings;
  private final BackendClient client;
  private final Metrics.OutputMetrics metrics;
  private final URI bulkUri;

  ElasticsearchOutput(LoggerSettings.ElasticsearchSettings settings, Metrics.OutputMetrics m) {
    this.settings = settings;
    this.metrics = m;
    this.client = new BackendClient(name(), settings.access(), "LOGGER_ELASTICSEARCH_CACERT", m);
    this.bulkUri = URI.create(settings.url() + "/_bulk");
  }

  @Override
  public String name() {
    return "elasticsearch";
  }

  @Override
  public LoggerSettings.Batching batching() {
    return settings.batching();
  }

  @Override
  public void write(Batch batch, StopSignal stop) throws IOException, InterruptedException {
    String time = Instant.now().toString();
    // the request body is built once, in UTF-8, with the place of each item kept for a retry
    BulkBody items = new BulkBody(batch.count(), batch.bytes() + batch.count() * 256);
    for (int i = 0; i < batch.count(); i++) {
      StringBuilder sb = new StringBuilder(batch.length(i) + 256);
      sb.append("{\"index\":{\"_index\":\"");
      Json.appendEscaped(sb, settings.index());
      sb.append("\",\"_id\":\"")
          .append(batch.source(i))
          .append('@')
          .append(batch.offset(i))
          .append("\"}}\n{\"@timestamp\":\"")
          .append(time)
          .append("\",\"message\":");
      Json.appendString(sb, batch.data(), batch.start(i), batch.length(i));
      sb.append(",\"log\":{\"file\":{\"path\":\"");
      Json.appendEscaped(sb, batch.file(i).toString());
      sb.append("\"},\"offset\":").append(batch.offset(i)).append('}');
      if (batch.isSplit(i)) {
        sb.append(",\"split\":true");
      }
      sb.append("}\n");
      items.add(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    long backoff = 100;
    while (items.count() > 0) {
      HttpResponse<String> response =
          client.post(bulkUri, "application/x-ndjson", items.data(), items.size(), stop);
      if (response.statusCode() / 100 != 2) {
        // 4xx for the whole request (auth, bad URL): nothing is written; keep the lines in the file
        client.retryAfter(
            "bulk request refused: HTTP "
                + response.statusCode()
                + " "
                + BackendClient.abbreviate(response.body())
                + " (check LOGGER_ELASTICSEARCH_URL and the credentials)",
            backoff,
            stop);
        backoff = Math.min(30_000, backoff * 2);
        continue;
      }
      int sent = items.count();
      int bytes = items.size();
      double rejectedBefore = metrics.rejected.value();
      items = retryable(items, JsonTree.parse(response.body().getBytes(StandardCharsets.UTF_8)));
      // stored = sent, less those to send again, less those refused for good
      metrics.linesWritten.increment(
          sent - items.count() - (metrics.rejected.value() - rejectedBefore));
      metrics.bytesWritten.increment(bytes);
      if (items.count() > 0) {
        client.retryAfter(items.count() + " bulk items refused for now", backoff, stop);
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  }

  /** The items to send again; items refused for good are counted and logged. */
  private BulkBody retryable(BulkBody items, Object response) {
    Map<?, ?> answer = response instanceof Map<?, ?> m ? m : Map.of();
    if (!Boolean.TRUE.equals(answer.get("errors"))) {
      return BulkBody.EMPTY;
    }
    List<?> results = answer.get("items") instanceof List<?> l ? l : List.of();
    BulkBody again = new BulkBody(items.count(), 1024);
    for (int i = 0; i < items.count(); i++) {
      // each item is {"<action>": {"status": ..., "error": {...}}}
      Map<?, ?> result = null;
      if (i < results.size()
          && results.get(i) instanceof Map<?, ?> item
          && !item.isEmpty()
          && item.values().iterator().next() instanceof Map<?, ?> r) {
        result = r;
      }
      int status = result != null && result.get("status") instanceof Number n ? n.intValue() : 500;
      if (status == 429 || status >= 500) {
        again.add(items, i);
      } else if (status >= 300) {
        metrics.rejected.increment();
        LOG.error(
            "[{}] index {} refused a line for good (HTTP {}): {}",
            name(),
            settings.index(),
            status,
            BackendClient.abbreviate(String.valueOf(result.get("error"))));
      }
    }
    return again;
  }

  /** Bulk items (action and document lines) one after the other in UTF-8, each one's end kept. */
  private static final class BulkBody {
    static final BulkBody EMPTY = new BulkBody(0, 0);

    private byte[] data;
    private int size;
    private final int[] ends;
    private int count;

    BulkBody(int items, int bytes) {
      this.data = new byte[bytes];
      this.ends = new int[items];
    }

    void add(byte[] item) {
      add(item, 0, item.length);
    }

    /** Item {@code i} of {@code other}. */
    void add(BulkBody other, int i) {
      int start = i == 0 ? 0 : other.ends[i - 1];
      add(other.data, start, other.ends[i] - start);
    }

    private void add(byte[] src, int from, int length) {
      if (size + length > data.length) {
        data = Arrays.copyOf(data, Math.max(size + length, data.length + (data.length >> 2)));
      }
      System.arraycopy(src, from, data, size, length);
      size += length;
      ends[count++] = size;
    }

    int count() {
      return count;
    }

    byte[] data() {
      return data;
    }

    int size() {
      return size;
    }
  }
}
