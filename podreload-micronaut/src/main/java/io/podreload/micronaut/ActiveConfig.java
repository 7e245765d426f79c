package io.podreload.micronaut;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The config being served: immutable, swapped as a whole. A request reads it once, so it finishes
 * on the config it started with even if a reload swaps in another meanwhile.
 *
 * @param settings each {@code @ConfigurationProperties} type of the host app, bound and validated
 * @param configSet what was read from the config dirs
 * @param generation the number of loads applied by this process (the first load is 1)
 * @param loadedAt when it was swapped in
 */
public record ActiveConfig(
    Map<Class<?>, Object> settings, ConfigSet configSet, long generation, Instant loadedAt) {

  public ActiveConfig {
    settings = Map.copyOf(settings);
  }

  /** The served instance of one of the host's settings types. */
  public <T> Optional<T> settings(Class<T> type) {
    return Optional.ofNullable(settings.get(type)).map(type::cast);
  }
}
