package io.podreload.micronaut;

import io.micronaut.context.env.ActiveEnvironment;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourceLoader;
import io.micronaut.core.io.ResourceLoader;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;

/**
 * A property source the module adds to a host's environment, built in code rather than read from a
 * file: Micronaut asks every {@link PropertySourceLoader} service for the {@code application}
 * resource, and this answers with {@link #source()} once, for no environment-specific name, and
 * reads no file.
 */
abstract class BuiltInPropertySourceLoader implements PropertySourceLoader {

  private static final String DEFAULT_CONFIG_NAME = "application";

  /** The properties this loader adds, with their precedence. */
  abstract PropertySource source();

  @Override
  public final Optional<PropertySource> load(String resourceName, ResourceLoader resourceLoader) {
    if (!DEFAULT_CONFIG_NAME.equals(resourceName)) {
      return Optional.empty();
    }
    return Optional.of(source());
  }

  @Override
  public final Optional<PropertySource> loadEnv(
      String resourceName, ResourceLoader resourceLoader, ActiveEnvironment activeEnvironment) {
    return Optional.empty();
  }

  @Override
  public final Map<String, Object> read(String name, InputStream input) {
    return Map.of(); // reads no file
  }
}
