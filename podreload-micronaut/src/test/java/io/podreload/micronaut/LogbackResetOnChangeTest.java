package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.core.read.ListAppender;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.PropertySource;
import io.micronaut.logging.LogLevel;
import io.micronaut.logging.LoggingSystem;
import io.micronaut.logging.impl.LogbackLoggingSystem;
import io.micronaut.runtime.context.scope.refresh.RefreshEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Micronaut resets Logback on every RefreshEvent, one per applied config; with the module it does
 * so only when the logging config can change by it. Each test counts Logback's resets with a
 * listener, and checks with an appender added at run time (a reset removes it) that no log line
 * goes missing.
 */
class LogbackResetOnChangeTest {

  private static final String LOGGER = "io.podreload.test.levels";

  private final LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final AtomicInteger resets = new AtomicInteger();
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private ApplicationContext context;

  @BeforeEach
  void start() {
    context =
        ApplicationContext.run(
            Map.of(PodreloadSettings.PREFIX + ".enabled", "false", "micronaut.server.port", "-1"));
  }

  @AfterEach
  void stop() {
    logback.getCopyOfListenerList().forEach(logback::removeListener);
    new LogbackLoggingSystem(null, null).refresh(); // Logback as the XML says, for other tests
    context.close();
  }

  @Test
  void aRefreshThatChangesNoLoggingSettingLeavesLogbackAndItsAppendersInPlace() {
    LogbackResetOnChange logging = new LogbackResetOnChange(null, null, context.getEnvironment());
    logging.refresh(); // the first one configures Logback, as at start
    watch();

    logging.refresh();
    LoggerFactory.getLogger(LOGGER).warn("after the refresh");

    assertThat(resets).hasValue(0);
    assertThat(lines.list).extracting(ILoggingEvent::getMessage).contains("after the refresh");

    // Micronaut's own system, on the same refresh, resets Logback and loses the appender.
    new LogbackLoggingSystem(null, null).refresh();
    LoggerFactory.getLogger(LOGGER).warn("after Micronaut's refresh");
    assertThat(resets).hasValue(1);
    assertThat(lines.list)
        .extracting(ILoggingEvent::getMessage)
        .doesNotContain("after Micronaut's refresh");
  }

  @Test
  void aLoggerLevelAddedOrChangedNeedsNoResetButOneThatIsGoneGetsTheXmlsLevelBack() {
    LogbackResetOnChange logging = new LogbackResetOnChange(null, null, context.getEnvironment());
    logging.refresh();
    watch();

    Map<String, Object> levels = new HashMap<>(Map.of("logger.levels." + LOGGER, "DEBUG"));
    context.getEnvironment().addPropertySource(PropertySource.of("levels", levels, 10_000));
    context.getEnvironment().refresh();
    logging.refresh();
    logging.setLogLevel(LOGGER, LogLevel.DEBUG); // what Micronaut does after each refresh
    assertThat(resets).hasValue(0);
    assertThat(level()).isEqualTo(Level.DEBUG);

    levels.put("logger.levels.io.podreload.other", "TRACE");
    levels.put("logger.levels." + LOGGER, "INFO");
    context.getEnvironment().refresh();
    logging.refresh();
    assertThat(resets).hasValue(0);

    levels.remove("logger.levels." + LOGGER);
    context.getEnvironment().refresh();
    logging.refresh();
    assertThat(resets).hasValue(1);
    assertThat(level()).isNull(); // the XML sets none: inherited again
  }

  @Test
  void theModuleReplacesMicronautsLogbackSystemAndARefreshEventNoLongerResetsLogback(
      @TempDir Path dir) throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("application.yml"), "shop:\n  banner: one\n  max-items: 5\n");
    try (ApplicationContext enabled =
        ApplicationContext.run(
            Map.of(
                "micronaut.server.port", "-1",
                "podreload.config-dirs", config.toString(),
                "podreload.secret-dirs", "",
                "podreload.status-file", dir.resolve("status.json").toString(),
                "podreload.access-log-enabled", "false"))) {
      assertThat(enabled.getBean(LoggingSystem.class)).isInstanceOf(LogbackResetOnChange.class);
      watch();

      enabled.publishEvent(new RefreshEvent(Map.of("shop.banner", "(changed)")));
      LoggerFactory.getLogger(LOGGER).warn("after the event");

      assertThat(resets).hasValue(0);
      assertThat(lines.list).extracting(ILoggingEvent::getMessage).contains("after the event");
    }
  }

  @Test
  void anXmlOnTheFileSystemIsANewVersionWhenItChangesAndOneInAJarNever(@TempDir Path dir)
      throws Exception {
    Path xml = Files.writeString(dir.resolve("logback.xml"), "<configuration/>");
    Files.setLastModifiedTime(xml, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    Object before = LogbackResetOnChange.versionOf(xml.toUri().toURL());

    assertThat(LogbackResetOnChange.versionOf(xml.toUri().toURL())).isEqualTo(before);
    Files.writeString(xml, "<configuration debug=\"true\"/>");
    assertThat(LogbackResetOnChange.versionOf(xml.toUri().toURL())).isNotEqualTo(before);

    java.net.URL inJar = new java.net.URL("jar:file:/app.jar!/logback.xml");
    assertThat(LogbackResetOnChange.versionOf(inJar))
        .isEqualTo(LogbackResetOnChange.versionOf(inJar));
    assertThat(LogbackResetOnChange.versionOf(null)).isNull();
  }

  private void watch() {
    logback.addListener(
        new LoggerContextListener() {
          @Override
          public boolean isResetResistant() {
            return true;
          }

          @Override
          public void onStart(LoggerContext context) {}

          @Override
          public void onReset(LoggerContext context) {
            resets.incrementAndGet();
          }

          @Override
          public void onStop(LoggerContext context) {}

          @Override
          public void onLevelChange(Logger logger, Level level) {}
        });
    lines.setContext(logback);
    lines.start();
    logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(lines);
  }

  private Level level() {
    return logback.getLogger(LOGGER).getLevel();
  }
}
