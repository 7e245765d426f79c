package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import org.junit.jupiter.api.Test;

/** k8s/ and kustomize/base: one source for the default config, the release's images. */
class BaseConfigTest {
  private static final String CONFIG = "k8s/config/application.yml";

  @Test
  void defaultConfigFileHoldsAGreeting() throws Exception {
    // bin/local-pod seeds its ConfigMap volume from this file.
    JsonNode yml = Manifests.YAML.readTree(Repo.read(CONFIG));

    assertThat(yml.path("app").path("greeting").asText()).isNotBlank();
  }

  @Test
  void baseConfigMapIsTheDefaultConfigFileUnderItsOwnName() {
    Manifests base = Variants.get("base");
    ConfigMap config = base.one(ConfigMap.class, "app-config");

    assertThat(config.getData()).containsOnlyKeys("application.yml");
    assertThat(config.getData().get("application.yml")).isEqualTo(Repo.read(CONFIG));
  }

  @Test
  void baseRunsTheReleasedImages() {
    assertThat(Variants.get("base").containers())
        .extracting(Container::getImage)
        .containsExactly(
            "registry.example.com/podreload/logger:0.1.0",
            "registry.example.com/podreload/reloader:0.1.0",
            "registry.example.com/podreload/app:0.1.0");
  }
}
