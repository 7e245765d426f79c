package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.core.convert.ConversionService;
import io.micronaut.runtime.context.scope.refresh.RefreshEvent;
import io.micronaut.validation.validator.Validator;
import io.podreload.common.StatusFile;
import io.podreload.micronaut.fixture.ShopSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload serves and acknowledges the new config at once, and Micronaut's environment and the
 * {@code RefreshEvent} follow only after the follow delay, so that their work does not compete with
 * the first requests on the new config.
 */
class EnvironmentFollowTest {

  @Test
  void theRefreshEventComesAfterTheDelayWhileTheNewConfigIsServedAndAcknowledgedAtOnce(
      @TempDir Path dir) throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    Path status = dir.resolve("status.json");
    Files.writeString(config.resolve("application.yml"), "shop:\n  banner: one\n  max-items: 5\n");
    PodreloadSettings settings =
        new PodreloadSettings(
            true,
            List.of(config),
            List.of(),
            status,
            false,
            dir.resolve("access.log"),
            1 << 20,
            1,
            16,
            Duration.ZERO);
    Duration delay = Duration.ofSeconds(2);
    List<Long> events = new CopyOnWriteArrayList<>();
    ApplicationEventPublisher<RefreshEvent> publisher = event -> events.add(System.nanoTime());
    try (ApplicationContext context =
        ApplicationContext.run(
            Map.of(
                PodreloadSettings.PREFIX + ".enabled", "false", "micronaut.server.port", "-1"))) {
      SettingsBinder binder =
          new SettingsBinder(
              context.getBean(Validator.class), context.getBean(ConversionService.class));
      ConfigReloader reloader =
          new ConfigReloader(
              settings,
              binder,
              List.of(),
              context.getEnvironment(),
              publisher,
              new SimpleMeterRegistry(),
              delay);
      try {
        Files.writeString(
            config.resolve("application.yml"), "shop:\n  banner: two\n  max-items: 5\n");
        long asked = System.nanoTime();
        reloader.requestReload();

        assertThat(reloader.current(ShopSettings.class).orElseThrow().banner()).isEqualTo("two");
        assertThat(StatusFile.read(status).orElseThrow().generation()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(60)).until(() -> !events.isEmpty());
        assertThat(events.get(0) - asked).isGreaterThanOrEqualTo(delay.toNanos());
        assertThat(context.getEnvironment().getProperty("shop.banner", String.class))
            .contains("two");
      } finally {
        reloader.close();
      }
    }
  }
}
