package io.podreload.reloader;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings as the shipped application.yml binds them, without any RELOADER_* variable. */
class ReloaderSettingsBindingTest {

  static ReloaderSettings bound(Map<String, Object> properties) {
    try (ApplicationContext context =
        ApplicationContext.builder()
            .deduceEnvironment(false)
            .environmentPropertySource(false)
            .properties(properties)
            .start()) {
      return context.getBean(ReloaderSettings.class);
    }
  }

  @Test
  void theSecretDirsDefaultToTheVaultRenderDir() {
    // A nested placeholder once left a stray brace: "/run/app/secrets}", a dir that matches
    // nothing, so parser messages about secret files were quoted in full.
    assertThat(bound(Map.of()).secretDirs()).containsExactly(Path.of("/run/app/secrets"));
  }

  @Test
  void theSecretDirsFollowAMovedVaultRenderDirAndTheirOwnSetting() {
    assertThat(bound(Map.of("reloader.vault.secrets-dir", "/srv/secrets")).secretDirs())
        .containsExactly(Path.of("/srv/secrets"));
    assertThat(bound(Map.of("reloader.secret-dirs", "/a,/b")).secretDirs())
        .containsExactly(Path.of("/a"), Path.of("/b"));
  }

  @Test
  void theTargetDefaultsToTheSignal() {
    ReloaderSettings settings = bound(Map.of());
    assertThat(settings.target()).isEqualTo("signal");
    assertThat(settings.targetMethod()).isEqualTo("POST");
    assertThat(settings.problems()).isEmpty();
  }
}
