package io.podreload.micronaut;

import static io.podreload.micronaut.testing.HostProcess.publish;
import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.KubeletVolume;
import io.podreload.common.ReloadStatus;
import io.podreload.micronaut.fixture.ShopApp;
import io.podreload.micronaut.testing.HostProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second host app (the fixture {@link ShopApp}: its own {@code shop.*} settings record, only the
 * module added) gets reloads, acknowledgement, masking, validation and its own veto.
 */
class DropInTest {

  @TempDir Path work;

  private static String shop(String banner, int maxItems) {
    return "shop:\n  banner: \"" + banner + "\"\n  max-items: " + maxItems + "\n";
  }

  @Test
  void theFixtureAppReloadsItsOwnSettingsAcknowledgesAndMasksItsSecrets() throws Exception {
    String secret = "sh0p-api-k3y";
    publish(work.resolve("config"), "application.yml", shop("spring sale", 5));
    publish(work.resolve("secrets"), "api.properties", "shop.api-key=" + secret + "\n");
    try (HostProcess app = HostProcess.start(ShopApp.class, work)) {
      assertThat(app.get("/banner")).isEqualTo("spring sale (max 5)");
      ReloadStatus first = app.awaitAttempt(1);
      assertThat(first.applied()).isTrue();
      assertThat(first.pid()).isEqualTo(app.pid());
      assertThat(app.manage("/config"))
          .contains("\"shop.api-key\":\"" + ConfigEndpoint.MASK + "\"")
          .doesNotContain(secret);

      publish(app.config, "application.yml", shop("summer sale", 7));
      app.signal("HUP");
      ReloadStatus second = app.awaitAttempt(2);
      assertThat(second.applied()).isTrue();
      assertThat(second.generation()).isEqualTo(2);
      assertThat(second.sources())
          .containsEntry(
              app.config.toAbsolutePath().toString(), KubeletVolume.read(app.config).hash());
      assertThat(app.get("/banner")).isEqualTo("summer sale (max 7)");
      assertThat(app.manage("/prometheus"))
          .contains("app_reloads_total{result=\"applied\"} 2.0")
          // where each reload's time went, stage by stage
          .containsPattern("app_reload_stage_seconds_count\\{stage=\"parse\"} 2")
          .containsPattern("app_reload_stage_seconds_sum\\{stage=\"swap\"} ");
      assertThat(Files.readString(app.accessLog)).contains(" GET /banner 200 ");
      app.stop();
      assertThat(app.output()).doesNotContain(secret);
    }
  }

  @Test
  void aCandidateIsBoundValidatedAndCheckedByTheHostBeforeAnythingChanges() throws Exception {
    publish(work.resolve("config"), "application.yml", shop("good", 5));
    try (HostProcess app = HostProcess.start(ShopApp.class, work)) {
      assertThat(app.awaitAttempt(1).applied()).as(app::output).isTrue();
      String[][] rejected = {
        {"shop:\n  banner: x\n  max-items: lots\n", "shop.max-items: not a valid int"},
        {shop("too many", 500), "shop.max-items must be less than or equal to 100"},
        {shop(" ", 5), "shop.banner must not be blank"},
        {shop("forbidden fruit", 5), "shop.banner: must not say forbidden"},
        {shop("overflow", 5), "StackOverflowError"},
      };
      long attempt = 1;
      for (String[] bad : rejected) {
        publish(app.config, "application.yml", bad[0]);
        app.signal("HUP");
        ReloadStatus status = app.awaitAttempt(++attempt);
        assertThat(status.result()).as(bad[0]).isEqualTo(ReloadStatus.REJECTED);
        assertThat(status.error()).as(bad[0]).contains(bad[1]);
        assertThat(status.generation()).isEqualTo(1);
        assertThat(app.get("/banner")).isEqualTo("good (max 5)");
      }
      publish(app.config, "application.yml", shop("better", 6));
      app.signal("HUP");
      assertThat(app.awaitAttempt(++attempt).applied()).isTrue();
      assertThat(app.get("/banner")).isEqualTo("better (max 6)");
      assertThat(app.isAlive()).isTrue();
    }
  }

  @Test
  void theAccessLogCanBeSwitchedOff() throws Exception {
    publish(work.resolve("config"), "application.yml", shop("quiet", 5));
    try (HostProcess app =
        HostProcess.start(ShopApp.class, work, Map.of("APP_ACCESS_LOG_ENABLED", "false"))) {
      assertThat(app.get("/banner")).isEqualTo("quiet (max 5)");
      app.awaitAttempt(1);
      app.stop();
      assertThat(app.accessLog).doesNotExist();
    }
  }

  @Test
  void anAppStartedWithSighupIgnoredRefusesToStartAndSaysWhy() throws Exception {
    publish(work.resolve("config"), "application.yml", shop("never reloaded", 5));
    try (HostProcess app = HostProcess.launchWithSighupIgnored(ShopApp.class, work)) {
      // A JVM started so installs no SIGHUP handler: serving on would drop every reload unseen.
      assertThat(app.awaitExit(Duration.ofSeconds(120)))
          .isPresent()
          .isNotEqualTo(OptionalInt.of(0));
      assertThat(app.output()).contains("SIGHUP is ignored in this process").contains("nohup");
      assertThat(app.statusFile).doesNotExist();
    }
  }

  @Test
  void podreloadEnabledFalseLeavesTheHostWithoutAnyOfTheModulesBeans() throws Exception {
    publish(work.resolve("config"), "application.yml", shop("ignored", 5));
    try (HostProcess app =
        HostProcess.start(ShopApp.class, work, Map.of("PODRELOAD_ENABLED", "false"))) {
      assertThat(app.managementStatusOf("/health")).isEqualTo(200);
      assertThat(app.managementStatusOf("/config")).isEqualTo(404);
      assertThat(app.statusFile).doesNotExist();
      assertThat(app.output()).doesNotContain("reloads on SIGHUP");
    }
  }

  @Test
  void theHostIsLockedDownByTheModuleAloneManagementOnItsOwnPortAdminEndpointsOff()
      throws Exception {
    // the fixture's application.yml says nothing about endpoints
    publish(work.resolve("config"), "application.yml", shop("locked", 5));
    try (HostProcess app = HostProcess.start(ShopApp.class, work)) {
      assertThat(app.get("/banner")).isEqualTo("locked (max 5)");
      app.assertLockedDown();
      assertThat(app.manage("/health")).isEqualTo("{\"status\":\"UP\"}"); // no details
      assertThat(app.managementStatusOf("/health/readiness")).isEqualTo(200);
      assertThat(app.manage("/prometheus")).contains("app_reloads_total");
      assertThat(app.manage("/config")).contains("\"generation\":1");
    }
  }

  @Test
  void aHostsOwnConfigOverridesTheLockDownDefaults() throws Exception {
    publish(work.resolve("config"), "application.yml", shop("open", 5));
    try (HostProcess app =
        HostProcess.start(
            ShopApp.class,
            work,
            Map.of("ENDPOINTS_ROUTES_ENABLED", "true", "ENDPOINTS_ROUTES_SENSITIVE", "false"))) {
      assertThat(app.managementStatusOf("/routes")).isEqualTo(200);
      assertThat(app.managementStatusOf("/beans")).isEqualTo(404);
    }
  }
}
