package io.podreload.logger;

import io.podreload.common.PrometheusRegistry;
import io.podreload.common.SidecarLogging;
import io.podreload.common.StatusHttpServer;
import io.podreload.common.StatusHttpServer.Answer;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logger sidecar. SIGTERM (the JVM's shutdown hook) drains the files, flushes every output,
 * saves the checkpoints and exits; a restart continues after the last line written.
 */
public final class Application {
  static {
    SidecarLogging.fromEnvironment(); // before the first logger is made
  }

  private static final Logger LOG = LoggerFactory.getLogger(Application.class);

  private Application() {}

  public static void main(String[] args) {
    try {
      LoggerSettings settings = LoggerSettings.fromEnvironment();
      PrometheusRegistry registry = PrometheusRegistry.withProcessMetrics();
      LoggerService service = new LoggerService(settings, new Metrics(registry));
      StatusHttpServer server =
          StatusHttpServer.start(
              settings.httpPort(), "LOGGER_HTTP_PORT", routes(service, registry));
      service.start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    service.stop();
                    server.close();
                  },
                  "shutdown"));
      LOG.info("/health and /prometheus on port {}", server.port());
    } catch (Exception e) {
      LOG.error("cannot start: {}", rootMessage(e));
      System.exit(2);
    }
  }

  private static Map<String, Supplier<Answer>> routes(
      LoggerService service, PrometheusRegistry registry) {
    return Map.of(
        "/health", () -> health(service), "/prometheus", () -> Answer.prometheus(registry));
  }

  /** {@code {"status":"UP"|"DOWN","outputs":{"<output>":{healthy, down, lastError, files}}}}. */
  static Answer health(LoggerService service) {
    boolean up = service.healthy();
    StringBuilder sb = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN");
    sb.append("\",\"outputs\":{");
    boolean first = true;
    for (Pipeline p : service.pipelines()) {
      sb.append(first ? "" : ",").append('"').append(p.name()).append("\":{\"healthy\":");
      first = false;
      sb.append(p.healthy()).append(",\"down\":");
      quoted(sb, p.downReason());
      sb.append(",\"lastError\":");
      quoted(sb, p.lastError());
      sb.append(",\"files\":[");
      boolean firstFile = true;
      for (FileFollower f : p.followers()) {
        sb.append(firstFile ? "" : ",").append("{\"path\":");
        firstFile = false;
        quoted(sb, f.followed().toString());
        sb.append(",\"bytesBehind\":").append(f.bytesBehind()).append(",\"problem\":");
        quoted(sb, f.problem());
        sb.append('}');
      }
      sb.append("]}");
    }
    sb.append("}}");
    return new Answer(up ? 200 : 503, "application/json", sb.toString());
  }

  private static void quoted(StringBuilder sb, String s) {
    if (s == null) {
      sb.append("null");
    } else {
      sb.append('"');
      Json.appendEscaped(sb, s);
      sb.append('"');
    }
  }

  /** The innermost message that says what to fix. */
  private static String rootMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null
          && (t instanceof IllegalArgumentException || t instanceof java.io.IOException)) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
