package io.podreload.micronaut;

import io.micronaut.context.annotation.Requires;
import io.micronaut.management.endpoint.annotation.Endpoint;
import io.micronaut.management.endpoint.annotation.Read;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /config} on the management port: what is being served and how the last attempt went.
 * Values that come from a secret dir are masked; all are shown as written (no {@code ${...}}
 * expansion). Before the first valid config, {@code generation} is 0 and {@code lastError} says
 * why.
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Endpoint(id = "config", defaultSensitive = false)
public final class ConfigEndpoint {

  public static final String MASK = "******";

  private final ConfigReloader reloader;
  private final PodreloadSettings settings;

  public ConfigEndpoint(ConfigReloader reloader, PodreloadSettings settings) {
    this.reloader = reloader;
    this.settings = settings;
  }

  @Read
  public Map<String, Object> config() {
    ActiveConfig active = reloader.current(); // null until the first valid config
    ConfigReloader.LastAttempt last = reloader.lastAttempt();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("generation", active == null ? 0 : active.generation());
    body.put("version", active == null ? null : active.configSet().version());
    body.put("loadedAt", active == null ? null : active.loadedAt().toString());
    body.put("lastError", last.error());
    body.put("lastResult", last.result());
    body.put("lastAttemptAt", last.at().toString());
    body.put("statusFileProblem", reloader.statusFileProblem().orElse(null));
    body.put("sources", active == null ? Map.of() : active.configSet().sources());
    body.put("properties", active == null ? Map.of() : masked(active.configSet()));
    return body;
  }

  private Map<String, Object> masked(ConfigSet configSet) {
    Map<String, Object> properties = new TreeMap<>(); // sorted by key, for people to read
    configSet
        .properties()
        .forEach(
            (key, value) ->
                properties.put(
                    key,
                    settings.isSecret(configSet.origins().get(key)) ? MASK : jsonValue(value)));
    return properties;
  }

  /** Scalars as they are, lists element by element, anything else (dates) as text. */
  private static Object jsonValue(Object value) {
    if (value instanceof String || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(ConfigEndpoint::jsonValue).toList();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), jsonValue(v)));
      return copy;
    }
    return String.valueOf(value);
  }
}
