package io.podreload.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppEnvironmentTest {

  @Test
  void defaultsAreThePodLayout() {
    AppEnvironment env = AppEnvironment.from(Map.of());
    assertThat(env.configDirs())
        .containsExactly(
            Path.of("/etc/app/config"), Path.of("/run/app/config"), Path.of("/run/app/secrets"));
    assertThat(env.isSecret(Path.of("/run/app/secrets/"))).isTrue();
    assertThat(env.isSecret(Path.of("/etc/app/config"))).isFalse();
    assertThat(env.accessLog()).isEqualTo(Path.of("/var/log/app/access.log"));
    assertThat(env.statusFile()).isEqualTo(Path.of("/run/app/reload-status.json"));
  }

  @Test
  void badNumbersNameTheSetting() {
    assertThatThrownBy(() -> AppEnvironment.from(Map.of("APP_ACCESS_LOG_MAX_BYTES", "10MB")))
        .hasMessageContaining("APP_ACCESS_LOG_MAX_BYTES");
  }
}
