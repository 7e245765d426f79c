package io.podreload.reloader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The reloader's settings for unit tests: the defaults of {@link ReloaderSettings}, with some
 * overridden by their property names ({@code reloader.signal-all}).
 */
public final class TestSettings {
  private TestSettings() {}

  public static ReloaderSettings reloader(Path procRoot, Map<String, String> overrides) {
    Map<String, String> o = overrides;
    return new ReloaderSettings(
        list(o.getOrDefault("reloader.sources", "volume")),
        list(o.getOrDefault("reloader.volume-dirs", "/etc/app/config")).stream()
            .map(Path::of)
            .toList(),
        o.getOrDefault("reloader.target-cmdline", "app\\.jar"),
        o.getOrDefault("reloader.signal", "HUP"),
        Boolean.parseBoolean(o.getOrDefault("reloader.signal-all", "false")),
        Path.of(o.getOrDefault("reloader.status-file", "/run/app/reload-status.json")),
        Boolean.parseBoolean(o.getOrDefault("reloader.dry-run", "false")),
        millis(o, "reloader.confirm-timeout", 10_000),
        millis(o, "reloader.retry-max", 30_000),
        millis(o, "reloader.quiet-period", 50),
        millis(o, "reloader.rehash-interval", 5_000),
        millis(o, "reloader.target-missing-after", 60_000),
        procRoot,
        list(o.getOrDefault("reloader.secret-dirs", "/run/app/secrets")).stream()
            .map(Path::of)
            .toList(),
        o.getOrDefault("reloader.target", "signal"),
        o.getOrDefault("reloader.target-url", ""),
        o.getOrDefault("reloader.target-method", "POST"),
        millis(o, "reloader.target-timeout", 5_000));
  }

  private static List<String> list(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).toList();
  }

  private static Duration millis(Map<String, String> o, String key, long fallback) {
    return Duration.ofMillis(Long.parseLong(o.getOrDefault(key, Long.toString(fallback))));
  }
}
