package io.podreload.logger;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs to a backend until it answers with something other than 429 or 5xx, backing off
 * exponentially (100 ms doubling to 30 s, with jitter). Connection errors are retried the same way:
 * the lines wait in the file, so there is nothing to drop.
 */
final class BackendClient {
  private static final Logger LOG = LoggerFactory.getLogger(BackendClient.class);
  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 30_000;

  private final String output;
  private final HttpClient http;
  private final Optional<String> authorization;
  private final Metrics.OutputMetrics metrics;

  /**
   * @param caCertSetting the setting that names {@code access}'s CA file, for its errors
   */
  BackendClient(
      String output,
      LoggerSettings.Access access,
      String caCertSetting,
      Metrics.OutputMetrics metrics) {
    this.output = output;
    this.metrics = metrics;
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    access.caCert().ifPresent(ca -> builder.sslContext(Tls.trusting(ca, caCertSetting)));
    this.http = builder.build();
    this.authorization = access.authorization();
  }

  /** The first answer that is neither 429 nor 5xx; the body is {@code body[0..length)}. */
  HttpResponse<String> post(
      URI uri, String contentType, byte[] body, int length, Output.StopSignal stop)
      throws IOException, InterruptedException {
    long backoff = FIRST_BACKOFF_MS;
    while (true) {
      String problem;
      try {
        HttpRequest.Builder request =
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(publisher(body, length));
        authorization.ifPresent(a -> request.header("Authorization", a));
        HttpResponse<String> response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 429 && response.statusCode() < 500) {
          return response;
        }
        problem = "HTTP " + response.statusCode() + " " + abbreviate(response.body());
      } catch (IOException e) {
        problem = e.toString();
      }
      retryAfter(problem, backoff, stop);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  /**
   * The body as a stream of small buffers with its length: the JDK's byte array publisher copies
   * the whole body first, a second copy of a batch on the heap.
   */
  private static HttpRequest.BodyPublisher publisher(byte[] body, int length) {
    return HttpRequest.BodyPublishers.fromPublisher(
        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body, 0, length)),
        length);
  }

  /** Counts a retry, logs why, sleeps the backoff (or gives up when stopping ran out of time). */
  void retryAfter(String problem, long backoffMs, Output.StopSignal stop)
      throws InterruptedException, Output.GaveUpException {
    if (stop.giveUp()) {
      throw new Output.GaveUpException(output + ": out of time retrying: " + problem);
    }
    metrics.retries.increment();
    long sleep = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
    LOG.warn("[{}] {}; retrying in {} ms", output, problem, sleep);
    Thread.sleep(sleep);
  }

  static String abbreviate(String s) {
    return s == null ? "" : s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
