package io.podreload.reloader.process;

import static io.podreload.reloader.process.PodNamespace.freePort;
import static io.podreload.reloader.process.PodNamespace.get;
import static io.podreload.reloader.process.PodNamespace.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podreload.common.KubeletVolume;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.reloader.Application;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reloader and its target as real processes in one fresh PID namespace (as root; the host's
 * otherwise), real signals, a config dir in the kubelet's layout. The target is the real app jar
 * (built before this module), or a small shell process where a test needs a misbehaving one.
 */
class ReloaderWithRealProcessesTest {

  static final Path APP_JAR = Path.of("../app/target/app.jar").toAbsolutePath().normalize();
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration START = Duration.ofSeconds(120); // a JVM start on a busy 2-core machine

  @TempDir Path tmp;
  PodNamespace pod;
  Path config;
  Path statusFile;
  String marker; // in the target's command line, so that only this test's target matches
  int appPort;
  int appManagementPort;
  int reloaderPort;

  @BeforeEach
  void setUp() throws Exception {
    pod = PodNamespace.create();
    config = tmp.resolve("config");
    statusFile = tmp.resolve("run/reload-status.json");
    Files.createDirectories(statusFile.getParent());
    marker = "-Dpod-test=" + UUID.randomUUID();
    appPort = freePort();
    appManagementPort = freePort();
    reloaderPort = freePort();
  }

  @AfterEach
  void tearDown() {
    pod.close();
  }

  static void publish(Path dir, String content) throws Exception {
    KubeletVolume.write(
        dir,
        Map.of("application.yml", content.getBytes(StandardCharsets.UTF_8)),
        PosixFilePermissions.fromString("rw-r--r--"));
  }

  static String greeting(String text) {
    return "app:\n  greeting: \"" + text + "\"\n";
  }

  void startApp() throws Exception {
    assumeTrue(Files.exists(APP_JAR), "the app jar is not built: run ./mvnw -B package first");
    Map<String, String> env = new HashMap<>();
    env.put("MICRONAUT_SERVER_PORT", Integer.toString(appPort));
    env.put("ENDPOINTS_ALL_PORT", Integer.toString(appManagementPort));
    env.put("APP_CONFIG_DIRS", config.toString());
    env.put("APP_STATUS_FILE", statusFile.toString());
    env.put("APP_ACCESS_LOG", tmp.resolve("log/access.log").toString());
    pod.start(
        List.of(
            java(),
            "@" + APP_JAR.getParent().getParent().resolve("jvm.options"),
            marker,
            "-jar",
            APP_JAR.toString()),
        env,
        tmp.resolve("app.out"));
    await().atMost(START).until(() -> !get(appManagementPort, "/health").isEmpty());
  }

  void startReloader(Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("RELOADER_HTTP_PORT", Integer.toString(reloaderPort));
    env.put("RELOADER_VOLUME_DIRS", config.toString());
    env.put("RELOADER_STATUS_FILE", statusFile.toString());
    env.put("RELOADER_TARGET_CMDLINE", java.util.regex.Pattern.quote(marker));
    env.putAll(extra);
    pod.start(
        List.of(
            java(),
            "@" + Path.of("jvm.options").toAbsolutePath(), // the flags the reloader ships with
            "-cp",
            System.getProperty("java.class.path"),
            Application.class.getName()),
        env,
        tmp.resolve("reloader.out"));
    await().atMost(START).until(() -> get(reloaderPort, "/health").contains("\"status\""));
  }

  String reloaderOutput() throws Exception {
    return Files.readString(tmp.resolve("reloader.out"));
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Test
  void anEditIsServedAndAMalformedEditSendsNoSignal() throws Exception {
    publish(config, greeting("first"));
    startApp();
    startReloader(Map.of());
    publish(config, greeting("second"));
    await().atMost(WAIT).until(() -> get(appPort, "/").equals("second"));
    await()
        .atMost(WAIT)
        .until(() -> metric(reloaderPort, "reloader_reloads_total\\{result=\"applied\"\\}") >= 1);
    long attempts = StatusFile.read(statusFile).orElseThrow().attempt();
    double signals = metric(reloaderPort, "reloader_signals_total");

    publish(config, "app:\n  greeting: [unclosed\n");
    await()
        .atMost(WAIT)
        .until(() -> metric(reloaderPort, "reloader_validation_failures_total") == 1);
    assertThat(metric(reloaderPort, "reloader_signals_total")).isEqualTo(signals);
    assertThat(StatusFile.read(statusFile).orElseThrow().attempt()).isEqualTo(attempts);
    assertThat(get(appPort, "/")).isEqualTo("second");
    assertThat(get(reloaderPort, "/health")).contains("invalid YAML");
    // the target is found by its pid inside the namespace
    long appPid = PodNamespace.podPidOf(pod.hostPidOf(marker));
    assertThat(metric(reloaderPort, "reloader_target_pid")).isEqualTo((double) appPid);
  }

  /**
   * Latest wins: edits that arrive while a reload is in flight are not each signalled. The app is
   * held stopped (SIGSTOP) while 50 edits land, so the first signal cannot be acknowledged before
   * the burst ends, however slow the machine; once it runs again it must end on the last edit after
   * a handful of signals, not fifty.
   */
  @Test
  void fiftyEditsDuringOneReloadLeaveTheAppOnTheLastAfterAFewSignals() throws Exception {
    publish(config, greeting("start"));
    startApp();
    startReloader(Map.of());
    long app = pod.hostPidOf(marker);
    signal("STOP", app);
    try {
      for (int i = 1; i <= 50; i++) {
        publish(config, greeting("edit " + i));
      }
      await().atMost(WAIT).until(() -> metric(reloaderPort, "reloader_signals_total") >= 1);
    } finally {
      signal("CONT", app);
    }
    await().atMost(WAIT).until(() -> get(appPort, "/").equals("edit 50"));
    String last = KubeletVolume.read(config).hash();
    await()
        .atMost(WAIT)
        .until(
            () ->
                last.equals(
                    StatusFile.read(statusFile).orElseThrow().sources().get(config.toString())));
    assertThat(metric(reloaderPort, "reloader_signals_total")).isLessThanOrEqualTo(3);
  }

  private static void signal(String name, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", name, pid).isZero();
  }

  @Test
  void anAppKilledAndStartedAgainIsFoundAgain() throws Exception {
    publish(config, greeting("before"));
    startApp();
    startReloader(Map.of());
    long first = pod.hostPidOf(marker);
    ProcessHandle.of(first).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> ProcessHandle.of(first).isEmpty());
    publish(config, greeting("while it was down"));
    startApp(); // it reads the current content by itself; the reloader must not need to signal
    await().atMost(WAIT).until(() -> get(appPort, "/").equals("while it was down"));
    publish(config, greeting("after the restart"));
    await().atMost(WAIT).until(() -> get(appPort, "/").equals("after the restart"));
    long second = PodNamespace.podPidOf(pod.hostPidOf(marker));
    await().atMost(WAIT).until(() -> metric(reloaderPort, "reloader_target_pid") == second);
  }

  /** A shell process that looks like the target and claims, in the status file, to be ready. */
  Process fakeTarget(String script, List<String> asUser) throws Exception {
    List<String> command = new java.util.ArrayList<>(asUser);
    command.addAll(List.of("bash", "-c", script, marker));
    Process process = pod.start(command, Map.of(), tmp.resolve("target.out"));
    long hostPid =
        await().atMost(WAIT).ignoreExceptions().until(() -> pod.hostPidOf(marker), p -> p > 0);
    await()
        .atMost(WAIT)
        .until(() -> Files.readString(Path.of("/proc/" + hostPid + "/status")).contains("SigCgt"));
    StatusFile.write(
        statusFile,
        new ReloadStatus(
            PodNamespace.podPidOf(hostPid),
            1,
            "v1",
            ReloadStatus.APPLIED,
            null,
            Instant.now().plusSeconds(1).toString(),
            1,
            Map.of(config.toString(), "stale")));
    return process;
  }

  @Test
  void aTargetThatDoesNotCatchTheSignalIsNotKilled() throws Exception {
    publish(config, greeting("x"));
    fakeTarget("while :; do sleep 0.1; done", List.of()); // bash -c does not catch SIGHUP
    long target = pod.hostPidOf(marker);
    startReloader(Map.of());
    await()
        .atMost(WAIT)
        .until(
            () ->
                metric(reloaderPort, "reloader_signal_errors_total\\{reason=\"not_caught\"\\}")
                    >= 1);
    assertThat(ProcessHandle.of(target)).get().matches(ProcessHandle::isAlive);
    assertThat(reloaderOutput()).contains("does not catch SIGHUP");
  }

  @Test
  void aTargetOfAnotherUserGivesAClearPermissionError() throws Exception {
    assumeTrue(PodNamespace.fresh(), "needs root to run the target as another user");
    publish(config, greeting("x"));
    fakeTarget(
        "trap 'echo reloaded' HUP; while :; do sleep 0.1; done",
        List.of("setpriv", "--reuid", "1001", "--regid", "1001", "--clear-groups"));
    long target = pod.hostPidOf(marker);
    // root without CAP_KILL may not signal another user's process, like a sidecar with another UID
    Map<String, String> env = Map.of();
    List<String> noKill = List.of("setpriv", "--bounding-set", "-kill", "--inh-caps", "-kill");
    Map<String, String> reloaderEnv = new HashMap<>(env);
    reloaderEnv.put("RELOADER_HTTP_PORT", Integer.toString(reloaderPort));
    reloaderEnv.put("RELOADER_VOLUME_DIRS", config.toString());
    reloaderEnv.put("RELOADER_STATUS_FILE", statusFile.toString());
    reloaderEnv.put("RELOADER_TARGET_CMDLINE", java.util.regex.Pattern.quote(marker));
    List<String> command = new java.util.ArrayList<>(noKill);
    command.addAll(
        List.of(
            java(),
            "@" + Path.of("jvm.options").toAbsolutePath(), // the flags the reloader ships with
            "-cp",
            System.getProperty("java.class.path"),
            Application.class.getName()));
    pod.start(command, reloaderEnv, tmp.resolve("reloader.out"));
    await()
        .atMost(WAIT)
        .until(
            () ->
                metric(reloaderPort, "reloader_signal_errors_total\\{reason=\"permission\"\\}")
                    >= 1);
    assertThat(reloaderOutput())
        .contains("EPERM")
        .contains("same runAsUser")
        .doesNotContain("CAP_KILL"); // the restricted Pod Security profile forbids adding it
    assertThat(ProcessHandle.of(target)).get().matches(ProcessHandle::isAlive);
  }

  @Test
  void anUpdateThroughTheKubernetesApiIsServedByTheAppWithoutARestart() throws Exception {
    try (var api = new io.podreload.devtools.LocalKubernetesApi()) {
      api.put("team", "app-config", Map.of("application.yml", greeting("from the API")));
      config = tmp.resolve("render"); // the app reads what the reloader renders
      startReloader(
          Map.of(
              "RELOADER_SOURCES",
              "configmap",
              "RELOADER_CONFIGMAP_NAMESPACE",
              "team",
              "RELOADER_RENDER_DIR",
              config.toString(),
              "KUBERNETES_CLIENT_BASE_PATH",
              api.url()));
      assertThat(Files.readString(config.resolve("application.yml"))).contains("from the API");
      startApp();
      long pid = pod.hostPidOf(marker);
      assertThat(get(appPort, "/")).isEqualTo("from the API");
      api.put("team", "app-config", Map.of("application.yml", greeting("updated through the API")));
      await().atMost(WAIT).until(() -> get(appPort, "/").equals("updated through the API"));
      assertThat(pod.hostPidOf(marker)).isEqualTo(pid);
      await()
          .atMost(WAIT)
          .until(() -> metric(reloaderPort, "reloader_propagation_lag_seconds_count") >= 1);
    }
  }
}
