package io.podreload.reloader;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * The reloader in {@code /health}: DOWN when config may be going stale unnoticed (a watch died, a
 * source keeps failing, the app has been missing too long); an edit that does not parse is shown
 * but is not DOWN: the app rightly keeps its last good config.
 */
@Singleton
public final class ReloaderHealthIndicator implements HealthIndicator {

  private final Reloader reloader;

  public ReloaderHealthIndicator(Reloader reloader) {
    this.reloader = reloader;
  }

  @Override
  public Publisher<HealthResult> getResult() {
    Map<String, Object> details = new LinkedHashMap<>();
    var problem = reloader.problem();
    problem.ifPresent(p -> details.put("problem", p));
    reloader.pipeline().invalidConfig().ifPresent(p -> details.put("invalidConfig", p));
    reloader.pipeline().lastFailure().ifPresent(p -> details.put("lastFailure", p));
    HealthStatus status = problem.isPresent() ? HealthStatus.DOWN : HealthStatus.UP;
    return Publishers.just(HealthResult.builder("reloader", status).details(details).build());
  }
}
