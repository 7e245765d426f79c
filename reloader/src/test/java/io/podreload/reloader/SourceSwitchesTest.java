package io.podreload.reloader;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceSwitchesTest {

  @Test
  void withNothingSetOnlyTheVolumeSourceRuns() {
    assertThat(SourceSwitches.resolve(Map.of()))
        .isEqualTo(new SourceSwitches.Result(List.of("volume"), List.of()));
  }

  @Test
  void aComponentsSwitchAddsItsSourceToTheListAnOverlayWrote() {
    // prod writes RELOADER_SOURCES=volume; the vault component only sets its own switch
    var result =
        SourceSwitches.resolve(
            Map.of(
                "RELOADER_SOURCES", "volume",
                "RELOADER_VAULT_ENABLED", "true",
                "VAULT_ADDR", "https://vault:8200",
                "RELOADER_VAULT_PATH", "secret/app"));
    assertThat(result.problems()).isEmpty();
    assertThat(result.sources()).containsExactly("volume", "vault");
  }

  @Test
  void theListStaysAFallbackAndASwitchWinsOverIt() {
    assertThat(SourceSwitches.resolve(Map.of("RELOADER_SOURCES", "configmap")).sources())
        .containsExactly("configmap");
    assertThat(
            SourceSwitches.resolve(
                    Map.of(
                        "RELOADER_SOURCES", "volume,configmap", "RELOADER_VOLUME_ENABLED", "false"))
                .sources())
        .containsExactly("configmap");
  }

  @Test
  void aSourcesSettingsPresentWhileItIsOffFailTheStartNamingTheSwitch() {
    // the bug: a vault component overwritten by prod's RELOADER_SOURCES=volume rendered nothing
    var result =
        SourceSwitches.resolve(
            Map.of(
                "RELOADER_SOURCES", "volume",
                "VAULT_ADDR", "https://vault:8200",
                "RELOADER_CONFIGMAP_NAME", "app-config"));
    assertThat(result.problems())
        .containsExactly(
            "RELOADER_CONFIGMAP_NAME is set but the configmap source is off: set"
                + " RELOADER_CONFIGMAP_ENABLED=true (or remove RELOADER_CONFIGMAP_NAME)",
            "VAULT_ADDR is set but the vault source is off: set RELOADER_VAULT_ENABLED=true (or"
                + " remove VAULT_ADDR)");
  }

  @Test
  void badValuesAndNoSourceAtAllAreProblems() {
    assertThat(SourceSwitches.resolve(Map.of("RELOADER_VAULT_ENABLED", "yes")).problems())
        .containsExactly("RELOADER_VAULT_ENABLED must be true or false, not 'yes'");
    assertThat(SourceSwitches.resolve(Map.of("RELOADER_SOURCES", "volume,s3")).problems())
        .hasSize(1)
        .first()
        .asString()
        .contains("unknown source 's3'");
    assertThat(SourceSwitches.resolve(Map.of("RELOADER_VOLUME_ENABLED", "false")).problems())
        .hasSize(1)
        .first()
        .asString()
        .startsWith("no source is on");
  }
}
