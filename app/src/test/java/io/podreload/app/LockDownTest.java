package io.podreload.app;

import static io.podreload.app.AppReloadTest.greeting;
import static io.podreload.app.AppReloadTest.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.ReloadStatus;
import io.podreload.micronaut.ConfigEndpoint;
import io.podreload.micronaut.testing.HostProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the app must not give away or do, each on the real process. */
class LockDownTest {

  @TempDir Path work;

  @Test
  void theBusinessPortServesOnlyTheAppsRoutesAndTheManagementPortNoAdminEndpoint()
      throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("hi"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      assertThat(app.get("/")).isEqualTo("hi");
      app.assertLockedDown();
    }
  }

  @Test
  void theManagementPortServesHealthPrometheusAndConfigAndHealthWithoutDetails() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("hi"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      assertThat(app.manage("/health")).isEqualTo("{\"status\":\"UP\"}");
      assertThat(app.managementStatusOf("/health/liveness")).isEqualTo(200);
      assertThat(app.manage("/health/readiness")).isEqualTo("{\"status\":\"UP\"}");
      assertThat(app.manage("/prometheus")).contains("app_reloads_total");
      assertThat(app.manage("/config")).contains("\"generation\":1");
      assertThat(app.statusOf("/")).isEqualTo(200);
    }
  }

  @Test
  void placeholdersInMountedValuesAreTakenLiterallyAndASecretAppearsNowhereButMasked()
      throws Exception {
    String secret = "pl4nted-s3cret-77";
    publish(
        work.resolve("config"),
        "application.yml",
        greeting("pw=${db.password} home=${HOME} path=${PATH:none}")
            + "other:\n  list: [\"${db.password}\"]\n");
    publish(work.resolve("secrets"), "vault.properties", "db.password=" + secret + "\n");
    try (HostProcess app =
        HostProcess.start(Application.class, work, Map.of("LOG_LEVEL", "debug"))) {
      assertThat(app.get("/")).isEqualTo("pw=${db.password} home=${HOME} path=${PATH:none}");
      String config = app.manage("/config");
      assertThat(config)
          .contains("\"app.greeting\":\"pw=${db.password} home=${HOME} path=${PATH:none}\"")
          .contains("\"db.password\":\"" + ConfigEndpoint.MASK + "\"");
      // a reload with changed values goes through Micronaut's environment refresh as well
      publish(app.config, "application.yml", greeting("again ${db.password} ${HOME}"));
      app.signal("HUP");
      assertThat(app.awaitAttempt(2).applied()).isTrue();
      assertThat(app.get("/")).isEqualTo("again ${db.password} ${HOME}");

      List<String> answers = new ArrayList<>();
      answers.add(app.get("/"));
      answers.add(app.get("/missing"));
      for (String path :
          List.of("/config", "/health", "/health/readiness", "/health/liveness", "/prometheus")) {
        answers.add(app.manage(path));
      }
      answers.add(Files.readString(app.statusFile));
      app.stop();
      answers.add(app.output());
      answers.add(Files.readString(app.accessLog));
      for (String answer : answers) {
        assertThat(answer).doesNotContain(secret).doesNotContain(System.getenv("HOME") + " ");
      }
    }
  }

  @Test
  void aCyclicOrOverDeepConfigOnReloadIsRejectedAndTheAppLivesOn() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("good"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      app.awaitAttempt(1);
      publish(app.config, "application.yml", greeting("cyclic") + "a: &x {b: *x}\n");
      app.signal("HUP");
      ReloadStatus cyclic = app.awaitAttempt(2);
      assertThat(cyclic.result()).isEqualTo(ReloadStatus.REJECTED);
      assertThat(cyclic.error()).contains("application.yml");

      StringBuilder deep = new StringBuilder(greeting("deep"));
      for (int i = 0; i < 5000; i++) {
        deep.append("[");
      }
      publish(app.config, "application.yml", deep.append("\n").toString());
      app.signal("HUP");
      assertThat(app.awaitAttempt(3).result()).isEqualTo(ReloadStatus.REJECTED);

      publish(app.config, "application.yml", greeting("fixed"));
      app.signal("HUP");
      assertThat(app.awaitAttempt(4).applied()).isTrue();
      assertThat(app.get("/")).isEqualTo("fixed");
      assertThat(app.isAlive()).isTrue();
    }
  }

  @Test
  void anInvalidFirstConfigLeavesTheAppAliveButNotReadyUntilAValidOne() throws Exception {
    publish(work.resolve("config"), "application.yml", "app: [\n");
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      ReloadStatus status = app.awaitAttempt(1);
      assertThat(status.result()).isEqualTo(ReloadStatus.REJECTED);
      assertThat(status.generation()).isZero();
      assertThat(status.pid()).isEqualTo(app.pid());
      assertThat(status.error()).contains("application.yml");
      assertThat(app.managementStatusOf("/health/liveness")).isEqualTo(200);
      assertThat(app.managementStatusOf("/health/readiness")).isEqualTo(503);
      assertThat(app.statusOf("/")).isEqualTo(503);
      assertThat(app.get("/")).doesNotContain("built-in");
      assertThat(app.manage("/config"))
          .contains("\"generation\":0")
          .contains("\"lastResult\":\"rejected\"")
          .contains("application.yml");

      publish(app.config, "application.yml", greeting("fixed"));
      app.signal("HUP");
      ReloadStatus fixed = app.awaitAttempt(2);
      assertThat(fixed.applied()).isTrue();
      assertThat(fixed.generation()).isEqualTo(1);
      assertThat(app.managementStatusOf("/health/readiness")).isEqualTo(200);
      assertThat(app.get("/")).isEqualTo("fixed");
    }
  }

  @Test
  void aStalledAccessLogDiskNeverStallsRequestsAndEveryLineNotWrittenIsCounted() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("hi"));
    Path fifo = work.resolve("log/access.log");
    Files.createDirectories(fifo.getParent());
    // A FIFO nobody reads: opening it for writing blocks for ever, like a disk that stalls.
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    try (HostProcess app =
        HostProcess.start(Application.class, work, Map.of("APP_ACCESS_LOG_QUEUE", "100"))) {
      int requests = 400;
      long started = System.nanoTime();
      for (int i = 0; i < requests; i++) {
        assertThat(app.send("/?n=" + i).statusCode()).isEqualTo(200);
      }
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(60);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> dropped(app.manage("/prometheus")) >= requests - 100);
      assertThat(app.output()).contains("lines are dropped");
      assertThat(app.managementStatusOf("/health/liveness")).isEqualTo(200);
      assertThat(app.stop()).isIn(0, 143); // shutdown does not hang on the stalled disk either
    }
  }

  @Test
  void onSigtermTheAppTurnsUnreadyKeepsServingForTheDelayThenExits() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("still serving"));
    try (HostProcess app =
        HostProcess.start(Application.class, work, Map.of("APP_SHUTDOWN_DELAY", "4s"))) {
      assertThat(app.managementStatusOf("/health/readiness")).isEqualTo(200);
      long signalled = System.nanoTime();
      app.signal("TERM");
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> app.managementStatusOf("/health/readiness") == 503);
      assertThat(app.get("/")).isEqualTo("still serving");
      assertThat(app.isAlive()).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> !app.isAlive());
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled))
          .isGreaterThanOrEqualTo(4000);
      assertThat(app.stop()).isEqualTo(143);
    }
  }

  private static double dropped(String prometheus) {
    return prometheus
        .lines()
        .filter(l -> l.startsWith("app_access_log_lines_total{result=\"dropped\"}"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }
}
