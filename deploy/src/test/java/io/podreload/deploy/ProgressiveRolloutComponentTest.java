package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The progressive-rollout component (docs/rollout.md): the reloader rolls out what the API source
 * sees, under its pod's name, and the app reads the render dir only, never the ConfigMap's volume
 * (the kubelet would hand it every edit, approved or not).
 */
class ProgressiveRolloutComponentTest {

  static List<String> variants() {
    return Variants.including("progressive-rollout");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void theAppReadsTheRenderDirOnlyAndTheReloaderRollsOutTheApiSourcesContent(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.envValue("app", "APP_CONFIG_DIRS")).hasValue("/run/app/config,/run/app/secrets");
    assertThat(m.envValue("reloader", "RELOADER_ROLLOUT")).hasValue("progressive");
    assertThat(m.envValue("reloader", "RELOADER_CONFIGMAP_ENABLED")).hasValue("true");
    assertThat(m.env("reloader").get("POD_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(m.envValue("reloader", "RELOADER_RENDER_DIR").orElse("/run/app/config"))
        .isEqualTo("/run/app/config");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void theCoordinationObjectsAreCreatedEmpty(String variant) {
    Manifests m = Variants.get(variant);

    for (String name : List.of("app-config-rollout", "app-config-rollout-pods")) {
      ConfigMap cm = m.one(ConfigMap.class, name);
      assertThat(cm.getData()).as(name).isNullOrEmpty();
    }
  }
}
