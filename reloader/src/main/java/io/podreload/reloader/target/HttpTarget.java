package io.podreload.reloader.target;

import io.podreload.common.ReloadStatus;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.signal.TriggerException.Reason;
import io.podreload.reloader.target.AppTarget.Answer.Result;
import java.io.IOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An app that reloads over HTTP ({@code RELOADER_TARGET=http}), as Prometheus does on {@code POST
 * /-/reload}: a 2xx answer to {@code RELOADER_TARGET_METHOD RELOADER_TARGET_URL} is a reload
 * triggered. It is confirmed by the status file when the app writes one (it reports the new
 * content), otherwise by that 2xx. Anything else is a failure the reconciler retries with backoff.
 */
public final class HttpTarget implements AppTarget {

  private static final Logger LOG = LoggerFactory.getLogger(HttpTarget.class);

  private final URI url;
  private final String method;
  private final Duration timeout;
  private final boolean dryRun;
  private final StatusFileAnswers status;
  private final String shown;
  private volatile boolean unreachable;

  public HttpTarget(ReloaderSettings settings) {
    this.url = settings.targetUri();
    this.method = settings.targetMethod();
    this.timeout = settings.targetTimeout();
    this.dryRun = settings.dryRun();
    this.status = new StatusFileAnswers(settings.statusFile(), settings.confirmTimeout());
    // Never log credentials a URL may carry.
    this.shown = method + " " + (url.getRawUserInfo() == null ? url : withoutUserInfo(url));
  }

  /** There, unless the last request found nobody listening; its pid when it writes a status. */
  @Override
  public Optional<Long> find() {
    return unreachable
        ? Optional.empty()
        : Optional.of(status.read().map(ReloadStatus::pid).orElse(0L));
  }

  @Override
  public Optional<Answer> serving(Map<String, String> expected) {
    return status
        .read()
        .filter(s -> StatusFileAnswers.reports(s, expected))
        .map(StatusFileAnswers::answer);
  }

  @Override
  public Readiness readiness() {
    return Readiness.READY;
  }

  @Override
  public Attempt trigger() throws TriggerException {
    Optional<ReloadStatus> before = status.read();
    long pid = before.map(ReloadStatus::pid).orElse(0L);
    if (dryRun) {
      LOG.info("dry run: would send {}", shown);
      return new Attempt(pid, 1, shown, before);
    }
    int code = request();
    unreachable = false;
    if (code / 100 != 2) {
      throw new TriggerException(
          Reason.FAILED,
          shown
              + " answered HTTP "
              + code
              + ", not 2xx: the app did not take the reload and keeps its last good config;"
              + " retrying (check RELOADER_TARGET_URL and RELOADER_TARGET_METHOD)");
    }
    return new Attempt(pid, 1, shown + " (HTTP " + code + ")", before);
  }

  /** By the status file when the app wrote one before the request; otherwise the 2xx was it. */
  @Override
  @SuppressWarnings("unchecked")
  public Answer confirm(Attempt attempt, Map<String, String> expected, BooleanSupplier newer) {
    Optional<ReloadStatus> before = (Optional<ReloadStatus>) attempt.state();
    if (before.isEmpty()) {
      return new Answer(Result.APPLIED, null, attempt.who());
    }
    return status.await(
        before,
        expected,
        newer,
        "the app answered "
            + attempt.who()
            + " but did not report the new content within "
            + status.timeout().toMillis()
            + " ms in "
            + status.file()
            + "; retrying (is APP_STATUS_FILE the same file as RELOADER_STATUS_FILE?)");
  }

  private int request() throws TriggerException {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) url.toURL().openConnection();
      connection.setConnectTimeout((int) timeout.toMillis());
      connection.setReadTimeout((int) timeout.toMillis());
      connection.setInstanceFollowRedirects(false);
      connection.setRequestMethod(method);
      if ("POST".equals(method) || "PUT".equals(method)) {
        connection.setDoOutput(true);
        connection.setFixedLengthStreamingMode(0);
        connection.getOutputStream().close();
      }
      return connection.getResponseCode(); // the body is never read: it may quote config
    } catch (ConnectException e) {
      unreachable = true;
      throw new TriggerException(
          Reason.NO_TARGET,
          "cannot connect for "
              + shown
              + " ("
              + e.getMessage()
              + "): the app is not listening yet, or RELOADER_TARGET_URL is wrong; retrying");
    } catch (SocketTimeoutException e) {
      throw new TriggerException(
          Reason.FAILED,
          shown
              + " got no answer within "
              + timeout.toMillis()
              + " ms (RELOADER_TARGET_TIMEOUT); retrying");
    } catch (IOException | IllegalArgumentException e) {
      throw new TriggerException(
          Reason.FAILED, shown + " failed: " + e.getClass().getSimpleName() + "; retrying");
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }

  private static URI withoutUserInfo(URI url) {
    return URI.create(url.toString().replace(url.getRawUserInfo() + "@", ""));
  }
}
