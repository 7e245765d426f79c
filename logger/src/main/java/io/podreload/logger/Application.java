package io.podreload.logger;

import io.micronaut.context.ApplicationContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logger sidecar. SIGTERM (the JVM's shutdown hook) drains the files, flushes every output,
 * saves the checkpoints and exits; a restart continues after the last line written.
 */
public final class Application {
  private static final Logger LOG = LoggerFactory.getLogger(Application.class);

  private Application() {}

  public static void main(String[] args) {
    ApplicationContext context;
    LoggerService service;
    try {
      context = ApplicationContext.builder().banner(false).deduceEnvironment(false).start();
      service = context.getBean(LoggerService.class);
      StatusServer status = context.getBean(StatusServer.class);
      int port = status.start();
      service.start();
      LOG.info("/health and /prometheus on port {}", port);
    } catch (RuntimeException | java.io.IOException e) {
      Throwable cause = e;
      while (cause.getCause() != null && cause.getMessage() == null) {
        cause = cause.getCause();
      }
      LOG.error("cannot start: {}", rootMessage(e));
      System.exit(2);
      return;
    }
    ApplicationContext started = context;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.stop();
                  started.close();
                },
                "shutdown"));
  }

  /** The innermost message: Micronaut wraps a bean's failure in layers of context. */
  private static String rootMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException || t instanceof java.io.IOException) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
