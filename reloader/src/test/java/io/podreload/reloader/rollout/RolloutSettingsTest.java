package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rollout's settings refuse to start a progressive rollout that cannot work, saying why. */
class RolloutSettingsTest {

  private static RolloutSettings settings(String mode, double wave, String appUrl) {
    return new RolloutSettings(
        mode, Duration.ofSeconds(30), 0.01, 20, wave, Duration.ofSeconds(15), appUrl);
  }

  @Test
  void allAtOnceNeedsNothing() {
    assertThat(settings("all-at-once", 0.25, "x").problems(List.of("volume"), null)).isEmpty();
    assertThat(settings(" Progressive ", 0.25, "x").progressive()).isTrue();
  }

  @Test
  void progressiveWithoutTheConfigMapSourceOrAPodNameSaysWhatToSet() {
    List<String> problems =
        settings("progressive", 0.25, "http://127.0.0.1:8090").problems(List.of("volume"), " ");

    assertThat(problems)
        .hasSize(2)
        .anyMatch(p -> p.contains("RELOADER_CONFIGMAP_ENABLED=true"))
        .anyMatch(p -> p.contains("POD_NAME") && p.contains("downward API"));
  }

  @Test
  void outOfRangeValuesAndAnUnknownModeAreNamed() {
    assertThat(settings("canary", 0.25, "http://a").problems(List.of("configmap"), "p"))
        .singleElement()
        .asString()
        .contains("RELOADER_ROLLOUT must be all-at-once or progressive");
    assertThat(settings("progressive", 0, "http://a").problems(List.of("configmap"), "p"))
        .singleElement()
        .asString()
        .contains("RELOADER_ROLLOUT_*", "wave");
    assertThat(settings("progressive", 0.25, "127.0.0.1:8090").problems(List.of("configmap"), "p"))
        .singleElement()
        .asString()
        .contains("RELOADER_ROLLOUT_APP_URL");
  }

  @Test
  void thePolicyCarriesTheSettings() {
    RolloutPolicy policy = settings("progressive", 0.5, "http://a").policy();
    assertThat(policy.bake()).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.waveFraction()).isEqualTo(0.5);
    assertThat(policy.lease()).isEqualTo(Duration.ofSeconds(15));
  }
}
