package io.podreload.deploy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A program's settings as its container gets them: the manifest's value, else the program's
 * documented default (DESIGN.md), so that checks hold whether a setting is spelled out or not.
 */
record Settings(Manifests manifests, String container) {
  static final Map<String, String> DEFAULTS =
      Map.ofEntries(
          Map.entry("APP_CONFIG_DIRS", "/etc/app/config,/run/app/config,/run/app/secrets"),
          Map.entry("APP_SECRET_DIRS", "/run/app/secrets"),
          Map.entry("APP_ACCESS_LOG", "/var/log/app/access.log"),
          Map.entry("APP_STATUS_FILE", "/run/app/reload-status.json"),
          Map.entry("RELOADER_SOURCES", "volume"),
          Map.entry("RELOADER_VOLUME_DIRS", "/etc/app/config"),
          Map.entry("RELOADER_TARGET_CMDLINE", "app\\.jar"),
          Map.entry("RELOADER_STATUS_FILE", "/run/app/reload-status.json"),
          Map.entry("RELOADER_RENDER_DIR", "/run/app/config"),
          Map.entry("RELOADER_SECRETS_DIR", "/run/app/secrets"),
          Map.entry("LOGGER_FILES", "/var/log/app/access.log"),
          Map.entry("LOGGER_STATE_DIR", "/var/lib/logger"));

  static Settings of(Manifests manifests, String container) {
    return new Settings(manifests, container);
  }

  String get(String name) {
    return manifests
        .envValue(container, name)
        .or(() -> Optional.ofNullable(DEFAULTS.get(name)))
        .orElseThrow(() -> new AssertionError(container + " has no value for " + name));
  }

  /** The manifest's value, if it sets one. */
  Optional<String> optional(String name) {
    return manifests.envValue(container, name);
  }

  String getOrDefault(String name, String fallback) {
    return manifests.envValue(container, name).orElse(DEFAULTS.getOrDefault(name, fallback));
  }

  List<String> list(String name) {
    return Arrays.stream(get(name).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
