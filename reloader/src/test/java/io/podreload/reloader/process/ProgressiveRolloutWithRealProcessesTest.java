package io.podreload.reloader.process;

import static io.podreload.reloader.process.PodNamespace.freePort;
import static io.podreload.reloader.process.PodNamespace.metric;
import static io.podreload.reloader.process.ReloaderWithRealProcessesTest.APP_JAR;
import static io.podreload.reloader.process.ReloaderWithRealProcessesTest.START;
import static io.podreload.reloader.process.ReloaderWithRealProcessesTest.java;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.devtools.LocalKubernetesApi;
import io.podreload.reloader.Application;
import io.podreload.reloader.rollout.KubernetesCoordinationStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code RELOADER_ROLLOUT=progressive} end to end: three pods, each a real app and a real reloader
 * in a PID namespace of its own (when run as root), each reloader reloading its own app with real
 * signals and reading its health from the app's management port. The one stand-in is the Kubernetes
 * API server ({@link LocalKubernetesApi}: no kube-apiserver runs here), shared by the three as a
 * cluster's would be. The app's demo fault {@code app.failure-rate} makes an edit that validates
 * but fails requests. The tests run in order on the same fleet: a good edit, a bad one, two in
 * quick succession, writes of the three at the same moment (held by the fake until all arrived),
 * then the canary killed mid-bake.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProgressiveRolloutWithRealProcessesTest {

  private static final String NS = "team";
  private static final String CM = "app-config";
  private static final Duration BAKE = Duration.ofSeconds(8);
  private static final Duration LEASE = Duration.ofSeconds(5);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir static Path tmp;
  private LocalKubernetesApi api;
  private LocalKubernetesApi.WriteGate firstRecords;
  private JsonNode recordsAfterFirstWrites;
  private final List<Pod> pods = new ArrayList<>();
  private final List<Observation> observations = new CopyOnWriteArrayList<>();
  private volatile boolean sampling;
  private Thread sampler;

  /** One pod: its namespace, dirs and ports. */
  private record Pod(
      String name,
      PodNamespace ns,
      Path dir,
      String marker,
      int appPort,
      int managementPort,
      int reloaderPort) {
    Path renderDir() {
      return dir.resolve("run/config");
    }

    Path statusFile() {
      return dir.resolve("run/reload-status.json");
    }

    long attempts() throws IOException {
      return StatusFile.read(statusFile()).map(ReloadStatus::attempt).orElse(-1L);
    }
  }

  /** What the fleet showed at one moment: the state's phase and canary, each pod's answer. */
  private record Observation(String phase, String canary, Map<String, String> answers) {}

  private static String config(String greeting, double failureRate) {
    return "app:\n  greeting: \"" + greeting + "\"\n  failure-rate: " + failureRate + "\n";
  }

  @BeforeAll
  void startFleet() throws Exception {
    assumeTrue(Files.exists(APP_JAR), "the app jar is not built: run ./mvnw -B package first");
    api = new LocalKubernetesApi();
    api.put(NS, CM, Map.of("application.yml", config("one", 0)));
    api.put(NS, KubernetesCoordinationStore.stateName(CM), Map.of());
    api.put(NS, KubernetesCoordinationStore.recordsName(CM), Map.of());
    // The three pods' first records reach the API server at the same moment (scenario 5).
    firstRecords = api.holdWrites(NS, KubernetesCoordinationStore.recordsName(CM), 3);
    for (String name : List.of("app-a", "app-b", "app-c")) {
      Path dir = tmp.resolve(name);
      Files.createDirectories(dir.resolve("run"));
      Pod pod =
          new Pod(
              name,
              PodNamespace.create(),
              dir,
              "-Dpod-test=" + UUID.randomUUID(),
              freePort(),
              freePort(),
              freePort());
      pods.add(pod);
      startReloader(pod);
    }
    for (Pod pod : pods) {
      // The reloader starts first, as the native sidecar does, and renders the first version.
      await().atMost(START).until(() -> Files.exists(pod.renderDir().resolve("application.yml")));
      startApp(pod);
    }
    for (Pod pod : pods) {
      await().atMost(START).until(() -> answer(pod).equals("one"));
    }
    await().atMost(START).until(() -> firstRecords.answers().size() == 3);
    recordsAfterFirstWrites =
        api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data");
    sampling = true;
    sampler = new Thread(this::sample, "fleet-sampler");
    sampler.start();
  }

  @AfterAll
  void stopFleet() throws Exception {
    sampling = false;
    if (sampler != null) {
      sampler.join();
    }
    pods.forEach(pod -> pod.ns().close());
    if (api != null) {
      api.close();
    }
  }

  private void startReloader(Pod pod) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("RELOADER_HTTP_PORT", Integer.toString(pod.reloaderPort()));
    env.put("RELOADER_SOURCES", "configmap");
    env.put("RELOADER_CONFIGMAP_NAMESPACE", NS);
    env.put("RELOADER_RENDER_DIR", pod.renderDir().toString());
    env.put("RELOADER_STATUS_FILE", pod.statusFile().toString());
    env.put("RELOADER_TARGET_CMDLINE", java.util.regex.Pattern.quote(pod.marker()));
    env.put("KUBERNETES_CLIENT_BASE_PATH", api.url());
    env.put("POD_NAME", pod.name());
    env.put("RELOADER_ROLLOUT", "progressive");
    env.put("RELOADER_ROLLOUT_BAKE", BAKE.toSeconds() + "s");
    env.put("RELOADER_ROLLOUT_MIN_REQUESTS", "5");
    env.put("RELOADER_ROLLOUT_WAVE", "0.5");
    env.put("RELOADER_ROLLOUT_LEASE", LEASE.toSeconds() + "s");
    env.put("RELOADER_ROLLOUT_APP_URL", "http://127.0.0.1:" + pod.managementPort());
    pod.ns()
        .start(
            List.of(
                java(),
                "@" + Path.of("jvm.options").toAbsolutePath(),
                "-cp",
                System.getProperty("java.class.path"),
                Application.class.getName()),
            env,
            pod.dir().resolve("reloader.out"));
  }

  private void startApp(Pod pod) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("MICRONAUT_SERVER_PORT", Integer.toString(pod.appPort()));
    env.put("ENDPOINTS_ALL_PORT", Integer.toString(pod.managementPort()));
    // The render dir only: never the raw ConfigMap (docs/rollout.md).
    env.put("APP_CONFIG_DIRS", pod.renderDir().toString());
    env.put("APP_STATUS_FILE", pod.statusFile().toString());
    env.put("APP_ACCESS_LOG", pod.dir().resolve("log/access.log").toString());
    pod.ns()
        .start(
            List.of(
                java(),
                "@" + APP_JAR.getParent().getParent().resolve("jvm.options"),
                pod.marker(),
                "-jar",
                APP_JAR.toString()),
            env,
            pod.dir().resolve("app.out"));
  }

  /** The pod's answer to {@code GET /}: the greeting, or the status code when it is not 200. */
  private static String answer(Pod pod) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pod.appPort() + "/"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : "" + response.statusCode();
    } catch (IOException e) {
      return "down";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "down";
    }
  }

  private JsonNode state() {
    JsonNode data = api.configMap(NS, KubernetesCoordinationStore.stateName(CM)).path("data");
    return data;
  }

  /** Traffic for the health gate, and the fleet's history for the assertions. */
  private void sample() {
    while (sampling) {
      JsonNode state = state();
      Map<String, String> answers = new LinkedHashMap<>();
      pods.forEach(pod -> answers.put(pod.name(), answer(pod)));
      observations.add(
          new Observation(
              state.path("phase").asText(""), state.path("canary").asText(""), answers));
      try {
        Thread.sleep(50); // a steady request rate, not a wait for a condition
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private Pod pod(String name) {
    return pods.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  @Order(1)
  void aGoodEditReachesTheCanaryFirstAndTheOthersOnlyAfterItPassedWithOneSignalEach()
      throws Exception {
    Map<String, Long> attempts = new HashMap<>();
    for (Pod pod : pods) {
      attempts.put(pod.name(), pod.attempts());
    }
    observations.clear();
    api.put(NS, CM, Map.of("application.yml", config("two", 0)));

    await().atMost(WAIT).until(() -> state().path("phase").asText().equals("canary"));
    Pod canary = pod(state().path("canary").asText());
    await().atMost(WAIT).until(() -> answer(canary).equals("two"));
    for (Pod other : pods) {
      if (other != canary) {
        // The edit is in the reloader; the app's render dir holds only the approved version.
        assertThat(Files.readString(other.renderDir().resolve("application.yml")))
            .contains("one")
            .doesNotContain("two");
      }
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                state().path("phase").asText().equals("promoted")
                    && pods.stream().allMatch(p -> answer(p).equals("two")));

    for (Observation o : observations) {
      if (o.phase().equals("canary")) {
        o.answers()
            .forEach(
                (pod, answer) -> {
                  if (!pod.equals(canary.name())) {
                    assertThat(answer).as("%s while %s bakes", pod, canary.name()).isEqualTo("one");
                  }
                });
      }
      assertThat(o.answers().values()).doesNotContain("500", "503");
    }
    for (Pod pod : pods) {
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(pod.attempts())
                      .as("%s reloaded once", pod.name())
                      .isEqualTo(attempts.get(pod.name()) + 1));
    }
    JsonNode records = api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data");
    for (Pod pod : pods) {
      assertThat(records.path("pod." + pod.name()).asText())
          .contains("serving=" + state().path("version").asText(), "result=applied");
    }
    assertThat(metric(canary.reloaderPort(), "reloader_rollout_phase\\{phase=\"promoted\"\\}"))
        .isEqualTo(1);
  }

  @Test
  @Order(2)
  void anEditThatFailsRequestsIsRolledBackWithinTheBakeAndNoOtherPodEverServesIt()
      throws Exception {
    observations.clear();
    long edited = System.nanoTime();
    api.put(NS, CM, Map.of("application.yml", config("three", 1.0)));

    await().atMost(WAIT).until(() -> state().path("phase").asText().equals("rolled-back"));
    Duration toRollback = Duration.ofNanos(System.nanoTime() - edited);
    Pod canary = pod(state().path("canary").asText());
    assertThat(toRollback).isLessThan(BAKE);
    assertThat(state().path("reason").asText()).contains("5xx");
    await().atMost(WAIT).until(() -> answer(canary).equals("two"));

    assertThat(observations)
        .as("the canary served the bad version at some point")
        .anyMatch(o -> o.answers().get(canary.name()).equals("500"));
    for (Observation o : observations) {
      o.answers()
          .forEach(
              (pod, answer) -> {
                if (!pod.equals(canary.name())) {
                  assertThat(answer).as(pod).isEqualTo("two");
                }
              });
    }
    for (Pod pod : pods) {
      assertThat(answer(pod)).isEqualTo("two");
    }
    assertThat(metric(canary.reloaderPort(), "reloader_rollout_rollbacks_total")).isEqualTo(1);
    assertThat(api.events()).anyMatch(e -> e.path("reason").asText().equals("RolledBack"));
  }

  @Test
  @Order(3)
  void ofTwoEditsInQuickSuccessionTheLaterWinsAndNoPodEndsOnTheEarlier() throws Exception {
    api.put(NS, CM, Map.of("application.yml", config("four", 0)));
    await().atMost(WAIT).until(() -> answer(pod(state().path("canary").asText(""))).equals("four"));
    api.put(NS, CM, Map.of("application.yml", config("five", 0)));

    await()
        .atMost(WAIT)
        .until(
            () ->
                state().path("phase").asText().equals("promoted")
                    && pods.stream().allMatch(p -> answer(p).equals("five")));
    for (Pod pod : pods) {
      assertThat(Files.readString(pod.renderDir().resolve("application.yml"))).contains("five");
    }
    JsonNode records = api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data");
    for (Pod pod : pods) {
      assertThat(records.path("pod." + pod.name()).asText())
          .as("%s's record, written by server-side apply while the others wrote theirs", pod.name())
          .contains("serving=" + state().path("version").asText(), "result=applied");
    }
  }

  @Test
  @Order(4)
  void conflictingWritesByThreeReloadersAtOnceLoseNoPodsRecord() throws Exception {
    // The records: three server-side applies held until all three arrived, then served together.
    assertThat(firstRecords.answers()).containsExactly(200, 200, 200);
    for (Pod pod : pods) {
      assertThat(recordsAfterFirstWrites.path("pod." + pod.name()).asText())
          .as("%s's first record, applied at the same moment as the others'", pod.name())
          .contains("attempted=", "result=");
    }

    // The claims: the first claimer's write is held until the two others claimed too, so all
    // three carry the same resourceVersion; the API server takes one and answers 409 to the rest.
    long conflictsBefore = api.conflicts();
    LocalKubernetesApi.WriteGate claims =
        api.holdWrites(NS, KubernetesCoordinationStore.stateName(CM), pods.size());
    api.put(NS, CM, Map.of("application.yml", config("seven", 0)));
    await().atMost(WAIT).until(() -> claims.answers().size() == pods.size());
    assertThat(claims.answers()).containsExactlyInAnyOrder(200, 409, 409);
    assertThat(api.conflicts() - conflictsBefore).isGreaterThanOrEqualTo(2);

    await()
        .atMost(WAIT)
        .until(
            () ->
                state().path("phase").asText().equals("promoted")
                    && pods.stream().allMatch(p -> answer(p).equals("seven")));
    String version = state().path("version").asText();
    assertThat(api.events())
        .as("one rollout started: the losers of the claim posted nothing")
        .filteredOn(
            e ->
                e.path("reason").asText().equals("RolloutStarted")
                    && e.path("message").asText().contains(version))
        .hasSize(1);
    JsonNode records = api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data");
    for (Pod pod : pods) {
      assertThat(records.path("pod." + pod.name()).asText())
          .as("%s's record after the losers re-read and retried", pod.name())
          .contains("serving=" + version, "result=applied");
    }
  }

  @Test
  @Order(5)
  void killingTheCanaryMidBakeLetsAnotherPodTakeTheClaimAndFinish() throws Exception {
    api.put(NS, CM, Map.of("application.yml", config("six", 0)));
    await().atMost(WAIT).until(() -> state().path("phase").asText().equals("canary"));
    Pod killed = pod(state().path("canary").asText());
    String version = state().path("version").asText();
    await()
        .atMost(WAIT)
        .until(
            () ->
                api.configMap(NS, KubernetesCoordinationStore.recordsName(CM))
                    .path("data")
                    .path("pod." + killed.name())
                    .asText()
                    .contains("serving=" + version));

    killed.ns().close(); // the whole pod, mid-bake: its reloader and its app

    await()
        .atMost(WAIT)
        .until(
            () ->
                state().path("phase").asText().equals("promoted")
                    && pods.stream()
                        .filter(p -> p != killed)
                        .allMatch(p -> answer(p).equals("six")));
    assertThat(state().path("version").asText()).isEqualTo(version);
    assertThat(state().path("canary").asText()).isNotEqualTo(killed.name());
    assertThat(state().path("attempt").asInt()).isEqualTo(2);
    assertThat(api.events())
        .anyMatch(
            e ->
                e.path("reason").asText().equals("RolloutStarted")
                    && e.path("message").asText().contains("stopped renewing"));
  }
}
