package io.podreload.reloader;

import io.micronaut.context.annotation.Factory;
import io.podreload.common.PrometheusRegistry;
import jakarta.inject.Singleton;

/** The one metrics registry that the pipeline and the sources register their meters in. */
@Factory
public class ReloaderBeans {
  @Singleton
  PrometheusRegistry registry() {
    return PrometheusRegistry.withProcessMetrics();
  }
}
