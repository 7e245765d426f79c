package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubernetes.client.openapi.ApiClient;
import io.podreload.devtools.LocalKubernetesApi;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client-java adapter of the coordination objects against the fake API server (no
 * kube-apiserver runs here): three agents, each with its own client, watch and thread, roll a
 * version out and leave it readable with kubectl.
 */
class KubernetesCoordinationStoreTest {

  private static final String NS = "podreload";
  private static final String CM = "app-config";

  private LocalKubernetesApi api;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    api = new LocalKubernetesApi();
    api.put(NS, KubernetesCoordinationStore.stateName(CM), Map.of());
    api.put(NS, KubernetesCoordinationStore.recordsName(CM), Map.of());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    api.close();
  }

  private record Pod(SimulatedApp app, KubernetesCoordinationStore store, RolloutRunner runner) {}

  private Pod pod(String name, RolloutPolicy policy) {
    Clock clock = Clock.systemUTC();
    ApiClient client = new ApiClient().setBasePath(api.url()).setReadTimeout(60_000);
    SimulatedApp app = new SimulatedApp(clock, "v0", Set.of(), Set.of());
    RolloutRunner[] runner = new RolloutRunner[1];
    KubernetesCoordinationStore store =
        new KubernetesCoordinationStore(
            client, NS, CM, name, Duration.ofSeconds(30), () -> runner[0].poke());
    RolloutAgent agent = new RolloutAgent(new RolloutNode(name, policy, clock), store, app, clock);
    runner[0] = new RolloutRunner(agent, clock);
    store.start();
    runner[0].start();
    open.add(runner[0]);
    open.add(store);
    return new Pod(app, store, runner[0]);
  }

  @Test
  void threePodsRollAVersionOutThroughTheApiAndTheObjectsShowItsPhaseAndEveryPodsVersion() {
    RolloutPolicy policy =
        new RolloutPolicy(
            Duration.ofMillis(500),
            0.01,
            0,
            0.25,
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofSeconds(20),
            3);
    List<Pod> pods = List.of(pod("app-a", policy), pod("app-b", policy), pod("app-c", policy));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data").size()
                    == 3);

    int before = api.requests().size();
    pods.forEach(p -> p.app().offer("v1"));
    pods.forEach(p -> p.runner().poke());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                "promoted".equals(stateKey("phase"))
                    && pods.stream().allMatch(p -> "v1".equals(p.app().serving())));

    assertThat(stateKey("version")).isEqualTo("v1");
    assertThat(stateKey("promoted")).isEqualTo("v1");
    assertThat(stateKey("canary")).startsWith("app-");
    JsonNode records = api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data");
    assertThat(records.size()).isEqualTo(3);
    records.forEach(
        r -> assertThat(r.asText()).startsWith("serving=v1 attempted=v1 result=applied"));
    // each pod owns its key through server-side apply
    List<String> managers = new ArrayList<>();
    api.configMap(NS, KubernetesCoordinationStore.recordsName(CM))
        .path("metadata")
        .path("managedFields")
        .forEach(
            m -> managers.add(m.path("manager").asText() + " " + m.path("operation").asText()));
    assertThat(managers)
        .contains("podreload-app-a Apply", "podreload-app-b Apply", "podreload-app-c Apply");
    // the last Event is posted after the state write awaited above
    await().atMost(Duration.ofSeconds(10)).until(() -> api.events().size() >= 3);
    List<String> reasons = new ArrayList<>();
    api.events()
        .forEach(
            e -> {
              reasons.add(e.path("reason").asText());
              assertThat(e.path("involvedObject").path("name").asText()).isEqualTo(CM);
            });
    assertThat(reasons).containsExactly("RolloutStarted", "CanaryPassed", "RolloutComplete");
    pods.forEach(p -> assertThat(p.app().reloads()).isEqualTo(1));
    // per rollout: each pod's acknowledgement, and for the holder a read and a write to claim,
    // a list and a watch of the records, a write per phase (3 here) and 3 Events: 3 + 10, with
    // room for claimers racing under load (each a read, a lost write and a re-read)
    assertThat(api.requests().size() - before)
        .as(api.requests().subList(before, api.requests().size()).toString())
        .isLessThanOrEqualTo(3 + 10 + 6);
  }

  @Test
  void aStaleStateWriteIsAConflictNotAnOverwrite() {
    ApiClient client = new ApiClient().setBasePath(api.url());
    try (KubernetesCoordinationStore a =
            new KubernetesCoordinationStore(
                client, NS, CM, "app-a", Duration.ofSeconds(30), () -> {});
        KubernetesCoordinationStore b =
            new KubernetesCoordinationStore(
                client, NS, CM, "app-b", Duration.ofSeconds(30), () -> {})) {
      RolloutState seen = a.state();
      assertThat(b.state()).isEqualTo(seen);
      java.time.Instant now = java.time.Instant.now();
      assertThat(
              a.replaceState(
                  RolloutState.start(
                      seen.resourceVersion(), "v1", "v0", "app-a", now, Duration.ofSeconds(5), 0)))
          .isTrue();
      assertThat(
              b.replaceState(
                  RolloutState.start(
                      seen.resourceVersion(), "v1", "v0", "app-b", now, Duration.ofSeconds(5), 0)))
          .isFalse();
      assertThat(stateKey("holder")).isEqualTo("app-a");
      assertThat(api.conflicts()).isEqualTo(1);
      // the loser re-read the object: its next write can succeed
      assertThat(b.state().holder()).isEqualTo("app-a");
    }
  }

  private String stateKey(String key) {
    return api.configMap(NS, KubernetesCoordinationStore.stateName(CM))
        .path("data")
        .path(key)
        .asText(null);
  }
}
