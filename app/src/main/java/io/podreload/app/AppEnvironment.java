package io.podreload.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The app's start-up settings, read once from the environment. They say where configuration, the
 * access log and the status file live; the configuration itself is reloadable, these are not.
 *
 * @param configDirs {@code APP_CONFIG_DIRS}: config dirs, later wins, missing ones skipped
 * @param secretDirs {@code APP_SECRET_DIRS}: those of the config dirs whose values are masked
 * @param accessLog {@code APP_ACCESS_LOG}: one line per request
 * @param accessLogMaxBytes {@code APP_ACCESS_LOG_MAX_BYTES}: size at which the log is rotated
 * @param accessLogKeep {@code APP_ACCESS_LOG_KEEP}: rotated files kept (access.log.1 ... .N)
 * @param statusFile {@code APP_STATUS_FILE}: the acknowledgement written after each load attempt
 * @param accessLogQueue {@code APP_ACCESS_LOG_QUEUE}: lines waiting for the disk; beyond, dropped
 * @param shutdownDelay {@code APP_SHUTDOWN_DELAY}: on SIGTERM, how long the app stays up, not ready
 *     but serving, while the endpoints controllers take the pod out of the Service
 */
public record AppEnvironment(
    List<Path> configDirs,
    List<Path> secretDirs,
    Path accessLog,
    long accessLogMaxBytes,
    int accessLogKeep,
    Path statusFile,
    int accessLogQueue,
    Duration shutdownDelay) {

  public static final String CONFIG_DIRS = "APP_CONFIG_DIRS";
  public static final String SECRET_DIRS = "APP_SECRET_DIRS";
  public static final String ACCESS_LOG = "APP_ACCESS_LOG";
  public static final String ACCESS_LOG_MAX_BYTES = "APP_ACCESS_LOG_MAX_BYTES";
  public static final String ACCESS_LOG_KEEP = "APP_ACCESS_LOG_KEEP";
  public static final String STATUS_FILE = "APP_STATUS_FILE";
  public static final String ACCESS_LOG_QUEUE = "APP_ACCESS_LOG_QUEUE";
  public static final String SHUTDOWN_DELAY = "APP_SHUTDOWN_DELAY";
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s)?");

  public AppEnvironment {
    configDirs = List.copyOf(configDirs);
    secretDirs = List.copyOf(secretDirs);
    if (configDirs.isEmpty()) {
      throw new IllegalArgumentException(CONFIG_DIRS + " names no directory");
    }
    if (accessLogMaxBytes < 1024) {
      throw new IllegalArgumentException(ACCESS_LOG_MAX_BYTES + " must be at least 1024");
    }
    if (accessLogKeep < 1) {
      throw new IllegalArgumentException(ACCESS_LOG_KEEP + " must be at least 1");
    }
    if (accessLogQueue < 1) {
      throw new IllegalArgumentException(ACCESS_LOG_QUEUE + " must be at least 1");
    }
  }

  /** Reads the settings from {@code env}, with the defaults of the pod's layout. */
  public static AppEnvironment from(Map<String, String> env) {
    return new AppEnvironment(
        paths(env.getOrDefault(CONFIG_DIRS, "/etc/app/config,/run/app/config,/run/app/secrets")),
        paths(env.getOrDefault(SECRET_DIRS, "/run/app/secrets")),
        Path.of(env.getOrDefault(ACCESS_LOG, "/var/log/app/access.log")),
        number(env, ACCESS_LOG_MAX_BYTES, 10L * 1024 * 1024),
        (int) number(env, ACCESS_LOG_KEEP, 3),
        Path.of(env.getOrDefault(STATUS_FILE, "/run/app/reload-status.json")),
        (int) number(env, ACCESS_LOG_QUEUE, 65_536),
        duration(env, SHUTDOWN_DELAY, Duration.ofSeconds(5)));
  }

  /** Whether values read from {@code dir} are secret. */
  public boolean isSecret(Path dir) {
    Path normalized = dir.toAbsolutePath().normalize();
    return secretDirs.stream().anyMatch(s -> s.toAbsolutePath().normalize().equals(normalized));
  }

  private static List<Path> paths(String value) {
    return Arrays.stream(value.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(Path::of)
        .toList();
  }

  /** {@code 5s}, {@code 500ms}, or whole seconds. */
  private static Duration duration(Map<String, String> env, String name, Duration fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    Matcher matcher = DURATION.matcher(value.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          name + " must be a duration like 5s or 500ms, not '" + value + "'");
    }
    long amount = Long.parseLong(matcher.group(1));
    return "ms".equals(matcher.group(2)) ? Duration.ofMillis(amount) : Duration.ofSeconds(amount);
  }

  private static long number(Map<String, String> env, String name, long fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, not '" + value + "'");
    }
  }
}
