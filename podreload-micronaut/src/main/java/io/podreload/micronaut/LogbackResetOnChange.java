package io.podreload.micronaut;

import ch.qos.logback.classic.LoggerContext;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.logging.LogLevel;
import io.micronaut.logging.LoggingSystem;
import io.micronaut.logging.impl.LogbackLoggingSystem;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Set;

/**
 * Micronaut's Logback system, refreshed only when that can change something. Micronaut answers
 * every {@code RefreshEvent} (one per applied config) by resetting Logback and parsing its XML
 * again, then setting the {@code logger.levels.*} of the environment: about 2 ms of CPU per reload
 * that competes with requests, and log lines written by other threads during the reset are lost
 * (the reset removes the appenders before the XML adds them back). The result only differs from the
 * Logback already in place when the XML file changed (a {@code logger.config} outside the jar) or a
 * {@code logger.levels.*} key set before is gone (the reset restores the XML's level for that
 * logger); otherwise setting the levels again, which Micronaut does after each refresh, is all a
 * refresh would do. So the reset happens then, and otherwise not.
 */
@Singleton
@Replaces(LogbackLoggingSystem.class)
@Requires(classes = LoggerContext.class)
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
class LogbackResetOnChange implements LoggingSystem {

  private static final String LEVELS = "logger.levels";

  private final LogbackLoggingSystem logback;
  private final String location;
  private final Environment environment;
  private boolean configured;
  private Object xmlVersion;
  private Set<String> levelKeys = Set.of();

  LogbackResetOnChange(
      @Nullable @Property(name = "logback.configurationFile") String configurationFile,
      @Nullable @Property(name = "logger.config") String config,
      Environment environment) {
    this.logback = new LogbackLoggingSystem(configurationFile, config);
    this.location =
        Objects.requireNonNullElse(
            configurationFile, Objects.requireNonNullElse(config, "logback.xml"));
    this.environment = environment;
  }

  @Override
  public void setLogLevel(String name, LogLevel level) {
    logback.setLogLevel(name, level);
  }

  @Override
  public synchronized void refresh() {
    Object xml = xmlVersion();
    Set<String> levels = levelKeys();
    if (!configured || !Objects.equals(xml, xmlVersion) || !levels.containsAll(levelKeys)) {
      logback.refresh();
      configured = true;
    }
    xmlVersion = xml;
    levelKeys = levels;
  }

  private Object xmlVersion() {
    return versionOf(LogbackLoggingSystem.class.getClassLoader().getResource(location));
  }

  /**
   * Which version of the XML at {@code url} this is: the same value while it does not change.
   * Inside a jar it cannot change; on a file system, its modification time and size tell.
   */
  static Object versionOf(URL url) {
    if (url == null || !"file".equals(url.getProtocol())) {
      return url == null ? null : url.toString();
    }
    try {
      BasicFileAttributes file =
          Files.readAttributes(Path.of(url.toURI()), BasicFileAttributes.class);
      return url + "@" + file.lastModifiedTime().toMillis() + "/" + file.size();
    } catch (IOException | URISyntaxException | RuntimeException e) {
      return new Object(); // unknown: equal to nothing, so the XML is read again
    }
  }

  /**
   * The loggers the environment sets a level for. (Its {@code RAW} view of the same keys, which
   * Micronaut also reads, can keep a removed key after a refresh; this one does not.)
   */
  private Set<String> levelKeys() {
    return Set.copyOf(environment.getProperties(LEVELS).keySet());
  }
}
