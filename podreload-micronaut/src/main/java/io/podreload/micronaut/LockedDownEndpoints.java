package io.podreload.micronaut;

import io.micronaut.context.env.AbstractPropertySourceLoader;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourceLoader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The endpoint lock-down a host gets with the dependency, below its own application.yml (which may
 * change any of it): management on its own port, {@code endpoints.all.port} (the environment's
 * {@code ENDPOINTS_ALL_PORT}), default 8090; there only {@code /health} (status, no details to
 * anyone), {@code /prometheus} and {@code /config}; every other endpoint ({@code beans}, {@code
 * routes}, {@code threaddump}, {@code refresh}, {@code env}, ...) off. The business port then
 * serves the host's own routes only. Registered as a {@link PropertySourceLoader} service, so a
 * host needs no code or config for it.
 */
public final class LockedDownEndpoints extends BuiltInPropertySourceLoader {

  /** Below application.yml: a host's own config wins. */
  static final int ORDER = AbstractPropertySourceLoader.DEFAULT_POSITION - 100;

  static final String NAME = "podreload endpoint lock-down";

  @Override
  PropertySource source() {
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("endpoints.all.port", 8090);
    defaults.put("endpoints.all.enabled", false);
    defaults.put("endpoints.health.enabled", true);
    defaults.put("endpoints.health.sensitive", false);
    defaults.put("endpoints.health.details-visible", "NEVER");
    defaults.put("endpoints.health.discovery-client.enabled", false);
    defaults.put("endpoints.prometheus.enabled", true);
    defaults.put("endpoints.prometheus.sensitive", false);
    defaults.put("endpoints.config.enabled", true);
    defaults.put("endpoints.config.sensitive", false);
    return PropertySource.of(NAME, defaults, ORDER);
  }
}
