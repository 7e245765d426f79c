package io.podreload.micronaut;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The pre-stop delay, in the app rather than a {@code preStop} hook: on SIGTERM the app reports not
 * ready at once and keeps serving for {@code APP_SHUTDOWN_DELAY}, while Kubernetes removes the pod
 * from the Service's endpoints (which it does in parallel with the SIGTERM, not before it); then it
 * exits, and Micronaut's graceful shutdown lets the requests in flight finish. Without it, requests
 * routed to the pod in that window are refused.
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Context
public final class ShutdownDelay {

  private static final Logger LOG = LoggerFactory.getLogger(ShutdownDelay.class);
  private static final int EXIT_ON_SIGTERM = 128 + 15;

  private final Duration delay;
  private volatile boolean stopping;

  public ShutdownDelay(PodreloadSettings settings) {
    this.delay = settings.shutdownDelay();
    Signal.handle(new Signal("TERM"), signal -> stop());
  }

  /** Whether SIGTERM came: the app is on its way out and not ready. */
  public boolean stopping() {
    return stopping;
  }

  private synchronized void stop() {
    if (stopping) {
      return; // a second SIGTERM: the first one's delay runs already
    }
    stopping = true;
    LOG.info("SIGTERM: not ready, serving for {} ms more, then stopping", delay.toMillis());
    Thread exit =
        new Thread(
            () -> {
              try {
                Thread.sleep(delay.toMillis());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              System.exit(EXIT_ON_SIGTERM); // runs Micronaut's shutdown hook: graceful shutdown
            },
            "shutdown-delay");
    exit.start();
  }
}
