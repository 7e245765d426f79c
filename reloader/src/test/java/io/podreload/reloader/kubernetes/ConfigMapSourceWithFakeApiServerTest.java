package io.podreload.reloader.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kubernetes.client.openapi.ApiClient;
import io.podreload.common.KubeletVolume;
import io.podreload.common.PrometheusRegistry;
import io.podreload.devtools.LocalKubernetesApi;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SourceChange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ConfigMap source against a fake API server that speaks the real list and watch protocol (no
 * kube-apiserver can run here): chunked watch events, bookmarks, 410 Gone, 403, stalls.
 */
class ConfigMapSourceWithFakeApiServerTest {

  static final String NS = "podreload-dev";
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path tmp;
  LocalKubernetesApi api;
  ConfigMapSource source;
  final List<SourceChange> changes = new CopyOnWriteArrayList<>();
  final PrometheusRegistry registry = new PrometheusRegistry();

  @BeforeEach
  void setUp() throws Exception {
    api = new LocalKubernetesApi();
  }

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
    api.close();
  }

  ConfigMapSource start(String watchTimeout) throws Exception {
    return start(watchTimeout, null);
  }

  ConfigMapSource start(String watchTimeout, String podName) throws Exception {
    return start(watchTimeout, podName, Duration.ofMillis(500), Duration.ofMillis(300));
  }

  ConfigMapSource start(
      String watchTimeout, String podName, Duration backoffMax, Duration degradedAfter)
      throws Exception {
    ApiClient client = new ApiClient().setBasePath(api.url());
    source =
        new ConfigMapSource(
            new ConfigMapSettings(
                "app-config",
                NS,
                tmp.resolve("no-namespace-file"),
                tmp.resolve("render"),
                Duration.parse(watchTimeout),
                backoffMax,
                degradedAfter,
                Duration.ofSeconds(2),
                podName,
                null,
                tmp.resolve("volume")),
            () -> client,
            registry);
    source.start(changes::add);
    return source;
  }

  static Map<String, String> yml(String greeting) {
    return Map.of("application.yml", "app:\n  greeting: " + greeting + "\n");
  }

  String rendered() throws Exception {
    return Files.readString(tmp.resolve("render/application.yml"));
  }

  /** The kubelet publishes new content in the volume dir; the volume source reports it. */
  SourceChange volumeSwap(String greeting) throws Exception {
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    yml(greeting)
        .forEach((k, v) -> files.put(k, v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    KubeletVolume.write(
        tmp.resolve("volume"),
        files,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    return new SourceChange(
        "volume", KubeletVolume.read(tmp.resolve("volume")), java.time.Instant.now(), "");
  }

  @Test
  void whileTheWatchWorksTheApiCopyWinsOverTheVolume() throws Exception {
    api.put(NS, "app-config", yml("from the api"));
    start("PT5M");
    source.volumeChanged(volumeSwap("older, from the kubelet"));
    assertThat(rendered()).contains("from the api");
    assertThat(changes).hasSize(1);
  }

  @Test
  void onceTheWatchHasFailedLongerThanDegradedAfterTheVolumesNewerContentReachesTheApp()
      throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT5M");
    api.failWatches(true);
    api.dropWatches();
    await().atMost(WAIT).until(() -> source.problem().isPresent());
    // The ConfigMap was edited; the watch does not see it, the kubelet publishes it in the volume.
    api.put(NS, "app-config", yml("second"));
    source.volumeChanged(volumeSwap("second"));
    // The render dir comes after the volume in APP_CONFIG_DIRS: it must no longer hold "first".
    assertThat(rendered()).contains("second");
    SourceChange reported = changes.get(changes.size() - 1);
    assertThat(reported.source()).isEqualTo("configmap");
    assertThat(reported.revision()).isEqualTo(ConfigMapSource.VOLUME_COPY);
    assertThat(reported.snapshot().hash())
        .isEqualTo(KubeletVolume.read(tmp.resolve("render")).hash());
    // Working again, the watch renders the API's content over it.
    api.failWatches(false);
    api.put(NS, "app-config", yml("third"));
    await().atMost(WAIT).until(() -> rendered().contains("third"));
  }

  @Test
  void theCurrentContentIsRenderedBeforeStartReturns() throws Exception {
    long rv = api.put(NS, "app-config", yml("first"), Map.of("logo.png", new byte[] {1, 2, 3}));
    api.put(NS, "other", yml("not this one"));
    start("PT5M");
    assertThat(rendered()).contains("first");
    assertThat(Files.readAllBytes(tmp.resolve("render/logo.png"))).containsExactly(1, 2, 3);
    assertThat(Files.isSymbolicLink(tmp.resolve("render/..data"))).isTrue();
    assertThat(changes).hasSize(1);
    assertThat(changes.get(0).revision()).isEqualTo(Long.toString(rv));
    assertThat(api.requests())
        .allMatch(r -> "metadata.name=app-config".equals(r.query().get("fieldSelector")));
  }

  @Test
  void anUpdateIsRenderedAndReportedWithItsResourceVersion() throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT5M");
    long rv = api.put(NS, "app-config", yml("second"));
    await().atMost(WAIT).until(() -> changes.size() == 2);
    assertThat(changes.get(1).revision()).isEqualTo(Long.toString(rv));
    assertThat(changes.get(1).snapshot().hash())
        .isEqualTo(KubeletVolume.read(tmp.resolve("render")).hash());
    assertThat(rendered()).contains("second");
  }

  @Test
  void after410GoneItListsAgainAndLosesNoUpdate() throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT1S"); // watches end every second and are renewed from the last resourceVersion
    api.dropWatches();
    api.put(NS, "app-config", yml("missed while reconnecting"));
    api.compact(); // the resourceVersion the source holds is now too old
    api.dropWatches();
    await().atMost(WAIT).until(() -> rendered().contains("missed while reconnecting"));
    assertThat(registry.value("reloader_api_watch_relists_total")).isGreaterThanOrEqualTo(1);
    api.put(NS, "app-config", yml("after"));
    await().atMost(WAIT).until(() -> rendered().contains("after"));
  }

  @Test
  void bookmarksAdvanceTheResourceVersion() throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT5M");
    await().atMost(WAIT).until(() -> api.openWatches() == 1);
    long unseen = api.put(NS, "unrelated", yml("x")); // filtered out: only a bookmark tells
    api.bookmark();
    api.dropWatches(); // the stream ends after the bookmark: the client resumes from it
    api.compact(); // resuming from before the bookmark would now meet a 410
    api.put(NS, "app-config", yml("second"));
    await().atMost(WAIT).until(() -> rendered().contains("second"));
    assertThat(api.requests())
        .anyMatch(r -> Long.toString(unseen).equals(r.query().get("resourceVersion")));
    assertThat(registry.value("reloader_api_watch_relists_total")).isZero();
  }

  @Test
  void aStalledWatchIsRestartedAndHealthFailsWhileItKeepsFailing() throws Exception {
    api.put(NS, "app-config", yml("first"));
    api.hangWatches(true);
    start("PT1S"); // read timeout: 1 s + 30 s margin is too long for a test; the watch timeout is
    api.forbid(true); // ... so make reconnections fail too, as a broken API server would
    api.dropWatches();
    await().atMost(WAIT).until(() -> source.problem().isPresent());
    assertThat(source.problem().get()).contains("403").contains("resourceNames");
    api.forbid(false);
    api.hangWatches(false);
    api.dropWatches();
    api.put(NS, "app-config", yml("recovered"));
    await().atMost(WAIT).until(() -> rendered().contains("recovered"));
    await().atMost(WAIT).until(() -> source.problem().isEmpty());
  }

  @Test
  void a403AtStartNamesTheMissingRbacRule() throws Exception {
    api.forbid(true);
    assertThatThrownBy(() -> start("PT5M"))
        .hasMessageContaining("403")
        .hasMessageContaining("get, list, watch on configmaps")
        .hasMessageContaining("resourceNames [app-config]");
  }

  @Test
  void aDeletedConfigMapKeepsTheLastRenderedConfigAndARecreatedOneIsApplied() throws Exception {
    api.put(NS, "app-config", yml("kept"));
    start("PT5M");
    api.delete(NS, "app-config");
    await().atMost(WAIT).until(() -> registry.value("reloader_api_configmap_deleted_total") == 1);
    assertThat(rendered()).contains("kept");
    api.put(NS, "app-config", yml("created again"));
    await().atMost(WAIT).until(() -> rendered().contains("created again"));
    assertThat(changes).hasSize(2);
  }

  @Test
  void outcomesBecomeEventsOnThePodAndA403OnEventsStopsThemQuietly() throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT5M", "app-7d9f-abcde");
    SourceChange change = changes.get(0);
    source.reloaded(change, new ReloadOutcome(ReloadOutcome.Result.APPLIED, null));
    source.reloaded(
        change, new ReloadOutcome(ReloadOutcome.Result.REJECTED, "app.greeting must not be blank"));
    source.awaitEvents();
    assertThat(api.events()).hasSize(2);
    assertThat(api.events().get(0).path("reason").asText()).isEqualTo("ConfigReloaded");
    assertThat(api.events().get(0).path("involvedObject").path("name").asText())
        .isEqualTo("app-7d9f-abcde");
    assertThat(api.events().get(0).path("message").asText())
        .contains("resourceVersion " + change.revision());
    assertThat(api.events().get(1).path("reason").asText()).isEqualTo("ConfigRejected");
    assertThat(api.events().get(1).path("type").asText()).isEqualTo("Warning");
    assertThat(registry.value("reloader_propagation_lag_seconds")).isEqualTo(1);

    api.forbidEvents(true);
    source.reloaded(change, new ReloadOutcome(ReloadOutcome.Result.SIGNAL_FAILED, "EPERM"));
    source.reloaded(change, new ReloadOutcome(ReloadOutcome.Result.APPLIED, null));
    source.awaitEvents();
    long posts = api.requests().stream().filter(r -> r.method().equals("POST")).count();
    assertThat(posts).isEqualTo(3); // the forbidden one, and none after it
  }

  @Test
  void aSlowApiServerDoesNotHoldUpTheReloadThatPostsAnEvent() throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT5M", "app-7d9f-abcde");
    api.delayEvents(Duration.ofSeconds(30));
    long start = System.nanoTime();
    source.reloaded(changes.get(0), new ReloadOutcome(ReloadOutcome.Result.APPLIED, null));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    // and the post itself gives up after its short timeout, not the watch's 5.5 minutes
    long posting = System.nanoTime();
    source.awaitEvents();
    assertThat(Duration.ofNanos(System.nanoTime() - posting))
        .isLessThan(ConfigMapSource.EVENT_TIMEOUT.plusSeconds(5));
  }

  @Test
  void aWatchThatConnectsAndFailsEveryCycleCountsAsFailing() throws Exception {
    api.put(NS, "app-config", yml("first"));
    // reconnections every ~200 ms, each shorter than degraded-after: a connect must not reset it
    start("PT5M", null, Duration.ofMillis(200), Duration.ofSeconds(1));
    api.failWatches(true);
    api.dropWatches();
    await().atMost(WAIT).until(() -> source.problem().isPresent());
    assertThat(source.problem().get()).contains("etcd is unavailable");
    api.failWatches(false);
    api.put(NS, "app-config", yml("recovered"));
    await().atMost(WAIT).until(() -> rendered().contains("recovered"));
    await().atMost(WAIT).until(() -> source.problem().isEmpty());
  }

  @Test
  void anUpdateWhoseRenderFailedIsRenderedOnceItCanBeWithoutAnotherEdit() throws Exception {
    api.put(NS, "app-config", yml("first"));
    start("PT5M");
    Path render = tmp.resolve("render");
    Path aside = tmp.resolve("render-aside");
    Files.move(render, aside);
    Files.writeString(render, "a file where the render dir should be");
    api.put(NS, "app-config", yml("second"));
    await()
        .atMost(WAIT)
        .until(() -> registry.value("reloader_api_watch_errors_total", "reason", "render") >= 1);
    Files.delete(render);
    Files.move(aside, render);
    await().atMost(WAIT).until(() -> rendered().contains("second")); // no new edit needed
  }

  @Test
  void keysThatAreNotConfigFilesAreSkippedAndDoNotStopTheSource() throws Exception {
    api.put(
        NS,
        "app-config",
        Map.of("application.yml", "app:\n  greeting: first\n", ".gitkeep", "", "README", "docs"));
    start("PT5M"); // threw "not a plain file name: '.gitkeep'" at start
    assertThat(rendered()).contains("first");
    api.put(
        NS,
        "app-config",
        Map.of("application.yml", "app:\n  greeting: second\n", ".gitkeep", "", "README", "x"));
    await().atMost(WAIT).until(() -> rendered().contains("second"));
    assertThat(source.problem()).isEmpty();
  }
}
