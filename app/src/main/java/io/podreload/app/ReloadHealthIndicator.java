package io.podreload.app;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * The config in {@code /health}. A rejected reload does not make the app unhealthy (it keeps
 * serving its last good config), but it shows here, as does a status file that cannot be written.
 */
@Singleton
public final class ReloadHealthIndicator implements HealthIndicator {

  private final ConfigReloader reloader;

  public ReloadHealthIndicator(ConfigReloader reloader) {
    this.reloader = reloader;
  }

  @Override
  public Publisher<HealthResult> getResult() {
    ActiveConfig active = reloader.current();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("generation", active.generation());
    details.put("version", active.configSet().version());
    details.put("lastResult", reloader.lastAttempt().result());
    if (reloader.lastAttempt().error() != null) {
      details.put("lastError", reloader.lastAttempt().error());
    }
    reloader.statusFileProblem().ifPresent(problem -> details.put("statusFile", problem));
    return Publishers.just(
        HealthResult.builder("config", HealthStatus.UP).details(details).build());
  }
}
