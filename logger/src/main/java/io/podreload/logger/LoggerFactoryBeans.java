package io.podreload.logger;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.podreload.common.PrometheusRegistry;
import jakarta.inject.Singleton;

/** The settings, read once from the environment (LOGGER_* variables). */
@Factory
public class LoggerFactoryBeans {
  @Singleton
  LoggerSettings settings(Environment environment) {
    return LoggerSettings.from(environment);
  }

  @Singleton
  PrometheusRegistry registry() {
    return PrometheusRegistry.withProcessMetrics();
  }

  @Singleton
  Metrics metrics(PrometheusRegistry registry) {
    return new Metrics(registry);
  }
}
