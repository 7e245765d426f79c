package io.podreload.reloader.rollout;

import io.podreload.reloader.rollout.AppView.HealthSample;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The canary's health gate reads the app: readiness from {@code /health/readiness} (200 is UP) and
 * the requests it answered from {@code /prometheus}, Micrometer's {@code
 * http_server_requests_seconds_count} series (one per method, status, uri) summed, all and with a
 * {@code status} of 5xx. Both on the app's management port. A reading that fails is null: the bake
 * waits for the next one rather than judge on nothing.
 */
public final class PrometheusHealthProbe implements Supplier<HealthSample> {

  private static final String SERIES = "http_server_requests_seconds_count";
  private static final Pattern STATUS = Pattern.compile("[{,]status=\"(\\d{3})\"");

  private final URI readiness;
  private final URI metrics;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param management the app's management base, e.g. {@code http://127.0.0.1:8090}
   */
  public PrometheusHealthProbe(URI management, Duration timeout) {
    this.readiness = management.resolve("/health/readiness");
    this.metrics = management.resolve("/prometheus");
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public HealthSample get() {
    try {
      boolean ready = fetch(readiness).statusCode() == 200;
      HttpResponse<String> answer = fetch(metrics);
      if (answer.statusCode() != 200) {
        return null;
      }
      long[] counts = count(answer.body());
      return new HealthSample(ready, counts[0], counts[1]);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * Sums the request counter in a Prometheus text exposition.
   *
   * @return all requests, and those answered 5xx
   */
  static long[] count(String exposition) {
    long all = 0;
    long errors = 0;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(SERIES + "{") && !line.startsWith(SERIES + " ")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      long value;
      try {
        value = (long) Double.parseDouble(line.substring(space + 1).trim());
      } catch (NumberFormatException e) {
        continue;
      }
      all += value;
      Matcher status = STATUS.matcher(line);
      if (status.find() && status.group(1).startsWith("5")) {
        errors += value;
      }
    }
    return new long[] {all, errors};
  }

  private HttpResponse<String> fetch(URI uri) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
