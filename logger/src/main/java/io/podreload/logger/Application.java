package io.podreload.logger;

import io.podreload.common.PrometheusRegistry;
import io.podreload.common.SidecarLogging;
import io.podreload.common.StatusHttpServer;
import io.podreload.common.StatusHttpServer.Answer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
        "/health", () -> health(service),
        "/health/liveness", () -> Answer.health(service.live(), details(service)),
        "/health/readiness", () -> Answer.health(service.ready(), details(service)),
        "/prometheus", () -> Answer.prometheus(registry));
  }

  /**
   * UP once every output runs, while their threads are alive: an output that fails (a backend that
   * is down) is a detail here, not DOWN, since a sidecar's readiness is the whole pod's.
   */
  static Answer health(LoggerService service) {
    return Answer.health(service.healthy(), details(service));
  }

  /**
   * {@code {"live":..,"ready":..,"outputs":{"<output>":{alive, failing, down, lastError, files:
   * [{path, bytesBehind, problem}]}}}}.
   */
  static Map<String, Object> details(LoggerService service) {
    Map<String, Object> outputs = new LinkedHashMap<>();
    for (Pipeline p : service.pipelines()) {
      List<Object> files = new ArrayList<>();
      for (FileFollower f : p.followers()) {
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("path", f.followed().toString());
        file.put("bytesBehind", f.bytesBehind());
        file.put("problem", f.problem());
        files.add(file);
      }
      Map<String, Object> output = new LinkedHashMap<>();
      output.put("alive", p.alive());
      output.put("failing", p.failing());
      output.put("down", p.downReason());
      output.put("lastError", p.lastError());
      output.put("files", files);
      outputs.put(p.name(), output);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("live", service.live());
    details.put("ready", service.ready());
    details.put("outputs", outputs);
    return details;
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
