package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import org.junit.jupiter.api.Test;

/** kustomize/overlays/dev: what `kubectl apply -k kustomize/overlays/dev` creates. */
class DevOverlayTest {
  private final Manifests dev = Variants.get(Variants.DEV);

  @Test
  void appConfigKeepsItsNameSoThatEditingItReloadsInPlaceInsteadOfRollingOut() throws Exception {
    ConfigMap config = dev.one(ConfigMap.class, "app-config");

    assertThat(dev.all(ConfigMap.class))
        .extracting(c -> c.getMetadata().getName())
        .containsExactly("app-config");
    assertThat(dev.pod().getVolumes())
        .filteredOn(v -> v.getConfigMap() != null)
        .extracting(v -> v.getConfigMap().getName())
        .containsExactly("app-config");
    JsonNode yml = Manifests.YAML.readTree(config.getData().get("application.yml"));
    assertThat(yml.path("app").path("greeting").asText()).isNotBlank();
  }

  @Test
  void devWatchesTheConfigMapThroughTheApiBesidesTheVolume() {
    assertThat(Settings.of(dev, "reloader").list("RELOADER_SOURCES"))
        .containsExactlyInAnyOrder("volume", "configmap");
  }

  @Test
  void devLogsAtDebug() {
    assertThat(dev.envValue("app", "LOG_LEVEL")).contains("DEBUG");
    assertThat(dev.envValue("reloader", "LOG_LEVEL")).contains("DEBUG");
    assertThat(dev.envValue("logger", "LOG_LEVEL")).contains("DEBUG");
  }

  @Test
  void devRunsInItsOwnRestrictedNamespace() {
    assertThat(dev.items())
        .filteredOn(r -> !(r instanceof Namespace))
        .extracting(HasMetadata::getMetadata)
        .allSatisfy(md -> assertThat(md.getNamespace()).isEqualTo("podreload-dev"));
    assertThat(dev.one(Namespace.class, "podreload-dev").getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
  }
}
