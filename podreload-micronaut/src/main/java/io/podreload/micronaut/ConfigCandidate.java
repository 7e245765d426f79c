package io.podreload.micronaut;

import java.util.Map;

/**
 * A config not yet served, as a {@link ConfigValidator} sees it.
 *
 * @param properties the merged properties read from the config dirs, as written
 * @param settings each {@code @ConfigurationProperties} type of the host, bound to the candidate
 */
public record ConfigCandidate(Map<String, Object> properties, Map<Class<?>, Object> settings) {

  /** The candidate instance of {@code type}, which must be a bound settings type of the host. */
  public <T> T settings(Class<T> type) {
    Object value = settings.get(type);
    if (value == null) {
      throw new IllegalArgumentException(type.getName() + " is not a bound settings type");
    }
    return type.cast(value);
  }
}
