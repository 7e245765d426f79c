package io.podreload.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podreload.common.ReloadStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
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

  private static final Duration RELOAD = Duration.ofSeconds(60);

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
  @Order(5)
  void everyRequestReachesTheLoggersStdoutExactlyOnceAcrossRotations() throws Exception {
    String run = UUID.randomUUID().toString();
    int requests = 3000; // about 400 KB of access log: several rotations at 64 KiB
    for (int i = 0; i < requests; i++) {
      assertEquals(200, pod.get(pod.appPort, "/?run=" + run + "&seq=" + i).statusCode());
    }

    await("every request is on the logger's stdout")
        .atMost(Duration.ofSeconds(60))
        .until(() -> sequencesLogged(run).size() == requests);
    Map<Integer, Long> counts = sequencesLogged(run);
    counts.forEach((seq, count) -> assertEquals(1L, count, "request " + seq + " logged once"));
    assertTrue(Files.exists(pod.dir.resolve("var/log/app/access.log.1")), "the access log rotated");
  }

  /** seq number -> how many times the logger printed it, for one run's requests. */
  private static Map<Integer, Long> sequencesLogged(String run) {
    String marker = "run=" + run + "&seq=";
    return pod.linesOf("logger").stream()
        .filter(line -> line.contains(marker))
        .map(line -> line.substring(line.indexOf(marker) + marker.length()))
        .map(rest -> Integer.parseInt(rest.split("[^0-9]", 2)[0]))
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }

  @Test
  @Order(6)
  void eachContainerKilledAndRestartedLosesNoReloadAndNoLogLine() throws Exception {
    for (String container : List.of("logger", "reloader", "app")) {
      long pid = pod.pidOf(container);
      LocalPod.signal("KILL", pid, 1);
      // While it is down (bin/local-pod restarts it after 1 s, like the kubelet's back-off):
      // an edit and, unless the app itself is down, requests that must all reach the logger.
      String greeting = "edited while " + container + " was down";
      pod.edit(config(greeting));
      String run = UUID.randomUUID().toString();
      int requests = container.equals("app") ? 0 : 200;
      for (int i = 0; i < requests; i++) {
        assertEquals(200, pod.get(pod.appPort, "/?run=" + run + "&seq=" + i).statusCode());
      }
      await(container + " restarted")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> pod.pidOf(container) > 0 && pod.pidOf(container) != pid && healthy(container));

      awaitGreeting(greeting);
      await("requests made while the " + container + " was down are logged")
          .atMost(Duration.ofSeconds(60))
          .until(() -> sequencesLogged(run).size() == requests);
      if (!container.equals("logger")) { // after kill -9 of the logger, repeats are bounded
        sequencesLogged(run).forEach((seq, n) -> assertEquals(1L, n, "request " + seq));
      }
    }
  }

  private static boolean healthy(String container) {
    Map<String, Integer> ports = new HashMap<>();
    ports.put("app", pod.appManagementPort);
    ports.put("reloader", pod.reloaderPort);
    ports.put("logger", pod.loggerPort);
    try {
      return pod.get(ports.get(container), "/health").statusCode() == 200;
    } catch (RuntimeException e) {
      return false;
    }
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
