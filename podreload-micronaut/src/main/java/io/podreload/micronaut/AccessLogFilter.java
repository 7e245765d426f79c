package io.podreload.micronaut;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * One access-log line per request: time, method, raw path with query, status, body bytes, duration
 * in milliseconds and a request id ({@code X-Request-Id}, taken from the request when it carries a
 * sane one, else made here, and returned in the response).
 *
 * <pre>2026-11-25T04:31:02.114Z GET /?n=17 200 5 0.412 5f3a9c1e-2a</pre>
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class AccessLogFilter {

  static final String REQUEST_ID = "X-Request-Id";
  private static final String STARTED = AccessLogFilter.class.getName() + ".started";
  private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final Pattern UNSAFE_IN_LINE = Pattern.compile("[\\s\\p{Cntrl}]");

  private final AccessLog accessLog;
  private final String idPrefix = Integer.toHexString(ThreadLocalRandom.current().nextInt());
  private final AtomicLong ids = new AtomicLong();

  public AccessLogFilter(AccessLog accessLog) {
    this.accessLog = accessLog;
  }

  @RequestFilter
  public void started(HttpRequest<?> request) {
    request.setAttribute(STARTED, System.nanoTime());
  }

  @ResponseFilter
  public void finished(HttpRequest<?> request, MutableHttpResponse<?> response) {
    if (!accessLog.enabled()) {
      return;
    }
    long started = request.getAttribute(STARTED, Long.class).orElse(System.nanoTime());
    String id = request.getHeaders().get(REQUEST_ID);
    if (id == null || !SANE_ID.matcher(id).matches()) {
      id = idPrefix + "-" + Long.toHexString(ids.incrementAndGet());
    }
    response.header(REQUEST_ID, id);
    accessLog.append(
        Instant.now()
            + " "
            + request.getMethodName()
            + " "
            + target(request.getUri())
            + " "
            + response.code()
            + " "
            + bodyBytes(response)
            + " "
            + millis(System.nanoTime() - started)
            + " "
            + id);
  }

  private static String target(URI uri) {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    return UNSAFE_IN_LINE.matcher(target).replaceAll("?"); // one request, one line
  }

  /** {@code 12.345}: milliseconds with three decimals (String.format costs more than a request). */
  static String millis(long nanos) {
    long micros = Math.max(0, nanos) / 1000;
    long fraction = micros % 1000;
    return (micros / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
  }

  /** The body's size, or "-" when it is streamed and not known here. */
  private static String bodyBytes(MutableHttpResponse<?> response) {
    String length = response.getHeaders().get(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      try {
        return Long.toString(Long.parseLong(length));
      } catch (NumberFormatException ignored) {
        // fall through to the body
      }
    }
    Object body = response.getBody().orElse(null);
    if (body instanceof CharSequence text) {
      return Integer.toString(text.toString().getBytes(StandardCharsets.UTF_8).length);
    }
    if (body instanceof byte[] bytes) {
      return Integer.toString(bytes.length);
    }
    return body == null ? "0" : "-";
  }
}
