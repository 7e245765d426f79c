package io.podreload.micronaut;

import io.micronaut.context.env.EnvironmentPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourceLoader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pod's contract names its settings {@code APP_CONFIG_DIRS}, ...; Micronaut would read those as
 * {@code app.config.dirs}. This property source gives each one, when set, as its {@code
 * podreload.*} property, with the precedence of environment variables (above application.yml).
 * Registered as a {@link PropertySourceLoader} service, so a host app needs no code for it.
 */
public final class ContractEnvironmentNames extends BuiltInPropertySourceLoader {

  /** Each environment name of the contract and the property it sets. */
  static final Map<String, String> NAMES =
      Map.of(
          "APP_CONFIG_DIRS", "config-dirs",
          "APP_SECRET_DIRS", "secret-dirs",
          "APP_STATUS_FILE", "status-file",
          "APP_ACCESS_LOG_ENABLED", "access-log-enabled",
          "APP_ACCESS_LOG", "access-log",
          "APP_ACCESS_LOG_MAX_BYTES", "access-log-max-bytes",
          "APP_ACCESS_LOG_KEEP", "access-log-keep",
          "APP_ACCESS_LOG_QUEUE", "access-log-queue",
          "APP_SHUTDOWN_DELAY", "shutdown-delay");

  @Override
  PropertySource source() {
    return of(System.getenv());
  }

  /** The properties that {@code env} sets. */
  static PropertySource of(Map<String, String> env) {
    Map<String, Object> properties = new LinkedHashMap<>();
    NAMES.forEach(
        (name, property) -> {
          String value = env.get(name);
          if (value != null && !value.isBlank()) {
            properties.put(PodreloadSettings.PREFIX + "." + property, value.trim());
          }
        });
    return PropertySource.of(
        "podreload contract environment", properties, EnvironmentPropertySource.POSITION);
  }
}
