package io.podreload.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podreload.common.ReloadStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pod on one machine: the three real jars started by {@code bin/local-pod} in one PID
 * namespace, config edits published the kubelet's way, real signals, the real access log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalPodEndToEndTest {

  private static final Duration RELOAD = Duration.ofSeconds(20);

  @TempDir static Path dir;
  static LocalPod pod;

  @BeforeAll
  static void startPod() throws Exception {
    // A small rotation size, so that the logger meets rotations under load.
    pod = LocalPod.start(dir, Map.of("APP_ACCESS_LOG_MAX_BYTES", "65536"));
  }

  @AfterAll
  static void stopPod() {
    if (pod != null) {
      pod.close();
    }
  }

  private static String config(String greeting) {
    return "app:\n  greeting: \"" + greeting + "\"\n";
  }

  /** Waits until the app serves {@code expected} and has acknowledged that load. */
  private static void awaitGreeting(String expected) {
    await("the app serves '" + expected + "'")
        .atMost(RELOAD)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> expected.equals(pod.greeting()));
    await("the app acknowledged the load")
        .atMost(RELOAD)
        .ignoreExceptions()
        .until(
            () ->
                pod.status().applied()
                    && pod.status().version().equals(pod.config().get("version").asText()));
  }

  @Test
  @Order(1)
  void anEditIsServedWithoutRestartingTheApp() throws Exception {
    long appPid = pod.pidOf("app");
    long generation = pod.config().get("generation").asLong();

    String expected = "edited " + UUID.randomUUID();
    pod.edit(config(expected));

    awaitGreeting(expected);
    assertEquals(appPid, pod.pidOf("app"), "same process: reloaded, not restarted");
    assertEquals(generation + 1, pod.config().get("generation").asLong());
    ReloadStatus status = pod.status();
    assertTrue(status.applied());
    assertEquals(pod.config().get("version").asText(), status.version());
  }

  @Test
  @Order(2)
  void aBlankGreetingIsRejectedAndTheLastGoodConfigKeepsServing() throws Exception {
    String good = "good " + UUID.randomUUID();
    pod.edit(config(good));
    awaitGreeting(good);
    double rejectedBefore =
        pod.metric(pod.reloaderPort, "reloader_reloads_total\\{.*result=\"rejected\".*");

    pod.edit(config(" "));

    await("the rejection is acknowledged")
        .atMost(RELOAD)
        .until(() -> ReloadStatus.REJECTED.equals(pod.status().result()));
    assertEquals(good, pod.greeting());
    String lastError = pod.config().get("lastError").asText();
    assertTrue(lastError.contains("greeting"), lastError);
    assertTrue(pod.status().error().contains("greeting"), pod.status().error());
    await("the reloader counts the rejection")
        .atMost(RELOAD)
        .until(
            () ->
                pod.metric(pod.reloaderPort, "reloader_reloads_total\\{.*result=\"rejected\".*")
                    > rejectedBefore);
  }

  @Test
  @Order(3)
  void aSyntaxErrorIsNotSignalledAndTheAppIsUnchanged() throws Exception {
    pod.edit(config("before syntax error"));
    awaitGreeting("before syntax error");
    long attempt = pod.status().attempt();
    double invalidBefore = pod.metric(pod.reloaderPort, "reloader_validation_failures_total.*");

    pod.edit("app:\n  greeting: [unclosed\n");

    await("the reloader reports the invalid file")
        .atMost(RELOAD)
        .until(
            () ->
                pod.metric(pod.reloaderPort, "reloader_validation_failures_total.*")
                    > invalidBefore);
    assertEquals("before syntax error", pod.greeting());
    assertEquals(attempt, pod.status().attempt(), "the app was not asked to load it");
  }

  @Test
  @Order(4)
  void aBurstOfSighupsLeavesTheAppAliveOnTheLatestConfig() throws Exception {
    pod.edit(config("before burst"));
    awaitGreeting("before burst");
    long appPid = pod.pidOf("app");

    LocalPod.signal("HUP", appPid, 200);

    await().atMost(RELOAD).until(() -> pod.status().attempt() > 1);
    assertEquals("before burst", pod.greeting());
    assertEquals(appPid, pod.pidOf("app"));
    assertTrue(pod.status().applied());
  }

  @Test
  @Order(7)
  void theReloaderTargetsTheAppByItsPidInsideThePodsNamespace() throws Exception {
    long hostPid = pod.pidOf("app");
    // NSpid lists the pid in each nested namespace, the innermost last.
    String nsPids =
        Files.readAllLines(Path.of("/proc/" + hostPid + "/status")).stream()
            .filter(line -> line.startsWith("NSpid:"))
            .findFirst()
            .orElseThrow();
    String[] pids = nsPids.substring("NSpid:".length()).trim().split("\\s+");
    long podPid = Long.parseLong(pids[pids.length - 1]);

    await()
        .atMost(RELOAD)
        .until(() -> pod.metric(pod.reloaderPort, "reloader_target_pid.*") == podPid);
  }
}
