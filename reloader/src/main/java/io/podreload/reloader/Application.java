package io.podreload.reloader;

import io.micronaut.context.ApplicationContext;
import io.podreload.common.Health;
import io.podreload.common.PrometheusRegistry;
import io.podreload.common.SidecarLogging;
import io.podreload.common.StatusHttpServer;
import io.podreload.common.StatusHttpServer.Answer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reloader sidecar: a config change becomes a confirmed reload of the app. It starts the
 * sources first and only then listens on RELOADER_HTTP_PORT, so that its startup probe passes once
 * the first config is in place. SIGTERM (the JVM's shutdown hook) stops the sources and the
 * pipeline.
 */
public final class Application {
  static {
    SidecarLogging.fromEnvironment(); // before the first logger is made
  }

  private static final Logger LOG = LoggerFactory.getLogger(Application.class);

  /** Variables that hold secrets: read by the code that needs them, never as properties. */
  static final java.util.List<String> SECRET_VARIABLES =
      java.util.List.of("VAULT_TOKEN", "RELOADER_VAULT_TOKEN");

  private Application() {}

  public static void main(String[] args) {
    ApplicationContext context = null;
    try {
      NonDumpable.apply(); // before anything reads a token
      context =
          ApplicationContext.builder()
              .banner(false)
              .deduceEnvironment(false)
              // Secrets never become properties: a property's value is logged at trace level.
              .environmentVariableExcludes(SECRET_VARIABLES.toArray(String[]::new))
              .start();
      Reloader reloader = context.getBean(Reloader.class);
      reloader.start();
      PrometheusRegistry registry = context.getBean(PrometheusRegistry.class);
      int port = context.getProperty("reloader.http-port", Integer.class).orElse(8081);
      StatusHttpServer server =
          StatusHttpServer.start(port, "RELOADER_HTTP_PORT", routes(reloader, registry));
      ApplicationContext started = context;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    server.close();
                    started.close();
                  },
                  "shutdown"));
      LOG.info("ready: /health and /prometheus on port {}", server.port());
      reloader.warmUp(); // after start-up, not in its way
    } catch (Exception e) {
      LOG.error("cannot start: {}", rootMessage(e));
      if (context != null) {
        context.close();
      }
      System.exit(2);
    }
  }

  private static Map<String, Supplier<Answer>> routes(
      Reloader reloader, PrometheusRegistry registry) {
    Map<String, Supplier<Answer>> routes =
        new LinkedHashMap<>(
            StatusHttpServer.healthRoutes(
                reloader::health,
                reloader::liveness,
                // The server listens only once the first config is in place (see above).
                Health::healthy));
    routes.put("/prometheus", () -> Answer.prometheus(registry));
    return routes;
  }

  /** The message that says what to fix: Micronaut wraps a bean's failure in layers of context. */
  private static String rootMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null
          && (t instanceof IllegalArgumentException
              || t instanceof IllegalStateException
              || t instanceof java.io.IOException
              || t instanceof io.micronaut.context.exceptions.ConfigurationException)) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
