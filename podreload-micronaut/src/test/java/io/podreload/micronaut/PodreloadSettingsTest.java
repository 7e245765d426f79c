package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.AbstractPropertySourceLoader;
import io.micronaut.context.env.PropertySource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodreloadSettingsTest {

  private static PodreloadSettings settings(Map<String, Object> properties) {
    Map<String, Object> off = new java.util.HashMap<>(properties);
    off.put("podreload.enabled", "false"); // the settings alone: no reloader in this JVM
    off.put("micronaut.server.port", "-1");
    try (ApplicationContext context = ApplicationContext.run(off)) {
      return context.getBean(PodreloadSettings.class);
    }
  }

  @Test
  void defaultsAreThePodLayout() {
    PodreloadSettings settings = settings(Map.of());
    assertThat(settings.configDirs())
        .containsExactly(
            Path.of("/etc/app/config"), Path.of("/run/app/config"), Path.of("/run/app/secrets"));
    assertThat(settings.isSecret(Path.of("/run/app/secrets/"))).isTrue();
    assertThat(settings.isSecret(Path.of("/etc/app/config"))).isFalse();
    assertThat(settings.accessLog()).isEqualTo(Path.of("/var/log/app/access.log"));
    assertThat(settings.accessLogEnabled()).isTrue();
    assertThat(settings.accessLogMaxBytes()).isEqualTo(10L * 1024 * 1024);
    assertThat(settings.accessLogKeep()).isEqualTo(3);
    assertThat(settings.accessLogQueue()).isEqualTo(65_536);
    assertThat(settings.statusFile()).isEqualTo(Path.of("/run/app/reload-status.json"));
    assertThat(settings.shutdownDelay()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void podreloadPropertiesOverrideTheDefaults() {
    PodreloadSettings settings =
        settings(
            Map.of(
                "podreload.config-dirs", "/a,/b",
                "podreload.shutdown-delay", "250ms",
                "podreload.access-log-enabled", "false"));
    assertThat(settings.configDirs()).containsExactly(Path.of("/a"), Path.of("/b"));
    assertThat(settings.shutdownDelay()).isEqualTo(Duration.ofMillis(250));
    assertThat(settings.accessLogEnabled()).isFalse();
  }

  @Test
  void theContractsEnvironmentNamesSetThePodreloadProperties() {
    var source =
        ContractEnvironmentNames.of(
            Map.of(
                "APP_CONFIG_DIRS", "/x,/y", "APP_SHUTDOWN_DELAY", " 1s ", "APP_SECRET_DIRS", ""));
    assertThat(source.get("podreload.config-dirs")).isEqualTo("/x,/y");
    assertThat(source.get("podreload.shutdown-delay")).isEqualTo("1s");
    assertThat(source.get("podreload.secret-dirs")).isNull(); // blank: the default stays
    assertThat(source.getOrder()).isGreaterThan(SettingsBinder.MOUNTED_ORDER);
  }

  @Test
  void aBadValueNamesTheSetting() {
    assertThatThrownBy(() -> settings(Map.of("podreload.access-log-max-bytes", "10")))
        .hasMessageContaining("accessLogMaxBytes");
  }

  @Test
  void theLockDownDefaultsComeWithTheDependencyAndAHostsApplicationYmlWins() {
    PropertySource hostYml =
        PropertySource.of(
            "the host's application.yml",
            Map.of("endpoints.all.port", 9999, "endpoints.routes.enabled", true),
            AbstractPropertySourceLoader.DEFAULT_POSITION);
    try (ApplicationContext context =
        ApplicationContext.builder()
            .propertySources(hostYml)
            .properties(Map.of("podreload.enabled", "false", "micronaut.server.port", "-1"))
            .start()) {
      assertThat(context.getProperty("endpoints.all.port", Integer.class)).contains(9999);
      assertThat(context.getProperty("endpoints.routes.enabled", Boolean.class)).contains(true);
      assertThat(context.getProperty("endpoints.all.enabled", Boolean.class)).contains(false);
      assertThat(context.getProperty("endpoints.health.details-visible", String.class))
          .contains("NEVER");
    }
  }
}
