package io.podreload.micronaut;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * The config in {@code /health} and {@code /health/readiness}: DOWN (503) until a first valid
 * config is served, and from SIGTERM on. A rejected reload later does not make the app unready (it
 * keeps serving its last good config). Details are for the app's own log and {@code /config}:
 * {@code /health} shows anonymous callers the status only.
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Singleton
@Readiness
public final class ReloadHealthIndicator implements HealthIndicator {

  private final ConfigReloader reloader;
  private final ShutdownDelay shutdown;

  public ReloadHealthIndicator(ConfigReloader reloader, ShutdownDelay shutdown) {
    this.reloader = reloader;
    this.shutdown = shutdown;
  }

  @Override
  public Publisher<HealthResult> getResult() {
    ActiveConfig active = reloader.current();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("generation", active == null ? 0 : active.generation());
    details.put("lastResult", reloader.lastAttempt().result());
    if (reloader.lastAttempt().error() != null) {
      details.put("lastError", reloader.lastAttempt().error());
    }
    reloader.statusFileProblem().ifPresent(problem -> details.put("statusFile", problem));
    if (shutdown.stopping()) {
      details.put("stopping", true);
    }
    HealthStatus status =
        active == null || shutdown.stopping() ? HealthStatus.DOWN : HealthStatus.UP;
    return Publishers.just(HealthResult.builder("config", status).details(details).build());
  }
}
