package io.podreload.logger;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;

/** The logger in {@code /health}: how far behind it is, and files it cannot read. */
@Singleton
public final class LoggerHealthIndicator implements HealthIndicator {

  private final LogShipper shipper;

  public LoggerHealthIndicator(LogShipper shipper) {
    this.shipper = shipper;
  }

  @Override
  public Publisher<HealthResult> getResult() {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bytesBehind", shipper.bytesBehind());
    if (!shipper.problems().isEmpty()) {
      details.put("problems", shipper.problems());
    }
    return Publishers.just(
        HealthResult.builder("logger", HealthStatus.UP).details(details).build());
  }
}
