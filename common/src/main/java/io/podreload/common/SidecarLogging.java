package io.podreload.common;

import java.util.Locale;
import java.util.Set;

/**
 * The sidecars log through slf4j-simple, which reads its settings from system properties when the
 * first logger is made; this puts {@code LOG_LEVEL} there. Call it before anything logs, e.g. from
 * a static initializer placed above the main class's logger field.
 */
public final class SidecarLogging {
  private static final Set<String> LEVELS =
      Set.of("trace", "debug", "info", "warn", "error", "off");

  private SidecarLogging() {}

  public static void fromEnvironment() {
    String level = System.getenv("LOG_LEVEL");
    if (level == null || level.isBlank()) {
      return;
    }
    level = level.trim().toLowerCase(Locale.ROOT);
    if (LEVELS.contains(level)) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    } else {
      System.err.println(
          "LOG_LEVEL=" + level + " is not one of " + LEVELS + "; logging at the default level");
    }
  }
}
