package io.podreload.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fleet's API side: the edited file into the ConfigMap, and the rollout as it is written. */
class LocalFleetTest {

  private final LocalKubernetesApi api;
  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final LocalFleet fleet;

  LocalFleetTest() throws Exception {
    api = new LocalKubernetesApi();
    fleet =
        new LocalFleet(
            api, "default", "app-config", new PrintStream(printed, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void close() {
    api.close();
  }

  private String printed() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aSaveIsPutIntoTheConfigMapUnderTheFilesName() {
    fleet.createCoordinationObjects();
    fleet.putIntoConfigMap("application.yml", "app:\n  greeting: two\n".getBytes());

    JsonNode cm = api.configMap("default", "app-config");
    assertThat(cm.path("data").path("application.yml").asText())
        .isEqualTo("app:\n  greeting: two\n");
    assertThat(api.configMap("default", "app-config-rollout")).isNotNull();
    assertThat(api.configMap("default", "app-config-rollout-pods")).isNotNull();
  }

  @Test
  void everyPhaseAndEveryPodsNewVersionIsPrintedOnceInTheOrderTheServerStoredThem() {
    fleet.createCoordinationObjects();
    api.onChange(object -> fleet.show());

    api.put(
        "default",
        "app-config-rollout",
        Map.of("version", "v2", "phase", "canary", "canary", "pod-1", "wave", "0"));
    api.put(
        "default",
        "app-config-rollout-pods",
        Map.of("pod.pod-1", "serving=v2 attempted=v2 result=applied at=2026-12-01T00:00:00Z"));
    // a lease renewal: nothing new to show
    api.put(
        "default",
        "app-config-rollout",
        Map.of(
            "version",
            "v2",
            "phase",
            "canary",
            "canary",
            "pod-1",
            "wave",
            "0",
            "renewTime",
            "2026-12-01T00:00:05Z"));
    api.put(
        "default",
        "app-config-rollout",
        Map.of("version", "v2", "phase", "promoting", "canary", "pod-1", "wave", "1"));
    api.put(
        "default",
        "app-config-rollout-pods",
        Map.of(
            "pod.pod-1", "serving=v2 attempted=v2 result=applied at=2026-12-01T00:00:00Z",
            "pod.pod-2", "serving=v2 attempted=v2 result=applied at=2026-12-01T00:00:07Z"));
    api.put(
        "default",
        "app-config-rollout",
        Map.of("version", "v2", "phase", "promoted", "canary", "pod-1", "wave", "1"));

    assertThat(printed().lines())
        .containsExactly(
            "rollout of v2: canary (canary pod-1, wave 0)",
            "pod-1 serves v2 (last attempt v2: applied)",
            "rollout of v2: promoting (canary pod-1, wave 1)",
            "pod-2 serves v2 (last attempt v2: applied)",
            "rollout of v2: promoted (canary pod-1, wave 1)");
  }
}
