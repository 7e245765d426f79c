package io.podreload.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.KubeletVolume;
import io.podreload.common.ReloadStatus;
import io.podreload.micronaut.ConfigEndpoint;
import io.podreload.micronaut.testing.HostProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real app process on a kubelet-layout dir, reloaded by real SIGHUPs. */
class AppReloadTest {

  @TempDir Path work;

  static void publish(Path dir, String file, String content) throws IOException {
    HostProcess.publish(dir, file, content);
  }

  static String greeting(String text) {
    return "app:\n  greeting: \"" + text + "\"\n";
  }

  @Test
  void aKubeletSwapFollowedBySighupIsServedWithoutARestart() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("first"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      assertThat(app.get("/")).isEqualTo("first");
      ReloadStatus before = app.awaitAttempt(1);
      assertThat(before.applied()).isTrue();
      assertThat(before.generation()).isEqualTo(1);

      publish(app.config, "application.yml", greeting("second"));
      app.signal("HUP");

      ReloadStatus after = app.awaitAttempt(2);
      assertThat(app.get("/")).isEqualTo("second");
      assertThat(after.pid()).isEqualTo(app.pid());
      assertThat(after.result()).isEqualTo(ReloadStatus.APPLIED);
      assertThat(after.generation()).isEqualTo(2);
      assertThat(after.version()).isNotEqualTo(before.version());
      // The reloader confirms against this: the hash of what it saw in the dir.
      assertThat(after.sources())
          .containsEntry(
              app.config.toAbsolutePath().toString(), KubeletVolume.read(app.config).hash())
          .doesNotContainKey(app.secrets.toAbsolutePath().toString()); // missing: skipped
      assertThat(app.manage("/config")).contains("\"generation\":2").contains("\"lastError\":null");
    }
  }

  @Test
  void identicalContentKeepsItsVersion() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("same"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      String version = app.awaitAttempt(1).version();
      publish(app.config, "application.yml", greeting("same"));
      app.signal("HUP");
      ReloadStatus again = app.awaitAttempt(2);
      assertThat(again.version()).isEqualTo(version);
      assertThat(again.generation()).isEqualTo(2);
    }
  }

  @Test
  void aMalformedFileIsRejectedAndTheLastGoodGreetingKeepsServing() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("good"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      String version = app.awaitAttempt(1).version();
      publish(app.config, "application.yml", "app:\n  greeting: [unclosed\n");
      app.signal("HUP");

      ReloadStatus rejected = app.awaitAttempt(2);
      assertThat(rejected.result()).isEqualTo(ReloadStatus.REJECTED);
      assertThat(rejected.error()).contains("application.yml").contains("line");
      assertThat(rejected.generation()).isEqualTo(1);
      assertThat(rejected.version()).isEqualTo(version);
      // the attempt's sources let the reloader match the rejection to the content it saw
      assertThat(rejected.sources())
          .containsEntry(
              app.config.toAbsolutePath().toString(), KubeletVolume.read(app.config).hash());
      assertThat(app.get("/")).isEqualTo("good");
      assertThat(app.manage("/config"))
          .contains("\"lastResult\":\"rejected\"")
          .contains("invalid YAML");
      assertThat(app.isAlive()).isTrue();
    }
  }

  @Test
  void aBlankGreetingIsRejectedWithTheReasonInTheStatusFileAndConfig() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("good"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      app.awaitAttempt(1);
      publish(app.config, "application.yml", greeting("  "));
      app.signal("HUP");

      ReloadStatus rejected = app.awaitAttempt(2);
      assertThat(rejected.result()).isEqualTo(ReloadStatus.REJECTED);
      assertThat(rejected.error()).contains("app.greeting").contains("blank");
      assertThat(app.get("/")).isEqualTo("good");
      assertThat(app.manage("/config")).contains("app.greeting");
      assertThat(app.manage("/prometheus")).contains("app_reloads_total{result=\"rejected\"} 1.0");
    }
  }

  @Test
  void theSameKeyInTwoFilesOfOneDirIsRejected() throws Exception {
    Path config = work.resolve("config");
    publish(config, "application.yml", greeting("good"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      app.awaitAttempt(1);
      KubeletVolume.write(
          config,
          Map.of(
              "a.yml", greeting("one").getBytes(StandardCharsets.UTF_8),
              "b.properties", "app.greeting=two\n".getBytes(StandardCharsets.UTF_8)),
          PosixFilePermissions.fromString("rw-r--r--"));
      app.signal("HUP");
      ReloadStatus rejected = app.awaitAttempt(2);
      assertThat(rejected.error()).contains("app.greeting is also set in a.yml");
      assertThat(app.get("/")).isEqualTo("good");
    }
  }

  @Test
  void aBurstOf200SighupsLeavesTheAppAliveOnTheLatestConfig() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("v0"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      app.awaitAttempt(1);
      for (int i = 1; i <= 200; i++) {
        if (i % 20 == 0) {
          publish(app.config, "application.yml", greeting("v" + i));
        }
        app.signal("HUP");
      }
      String last = KubeletVolume.read(app.config).hash();
      ReloadStatus settled =
          await()
              .atMost(Duration.ofSeconds(60))
              .ignoreExceptions()
              .until(
                  () -> app.status().orElseThrow(),
                  s -> last.equals(s.sources().get(app.config.toAbsolutePath().toString())));
      assertThat(app.isAlive()).isTrue();
      assertThat(app.get("/")).isEqualTo("v200");
      assertThat(settled.applied()).isTrue();
      // coalesced, but at least the first and the last signal led to a load
      assertThat(settled.attempt()).isBetween(3L, 201L);
    }
  }

  @Test
  void laterDirsOverrideEarlierOnesAndSecretValuesAreMaskedAndNeverLogged() throws Exception {
    publish(work.resolve("config"), "application.yml", "app:\n  greeting: base\ndb:\n  user: u\n");
    String secret = "s3cr3t-value-42";
    publish(work.resolve("secrets"), "vault.properties", "db.password=" + secret + "\n");
    try (HostProcess app =
        HostProcess.start(Application.class, work, Map.of("LOG_LEVEL", "debug"))) {
      String config = app.manage("/config");
      assertThat(config)
          .contains("\"db.user\":\"u\"")
          .contains("\"db.password\":\"" + ConfigEndpoint.MASK + "\"")
          .doesNotContain(secret);
      // a broken secret file is reported without quoting it
      publish(app.secrets, "vault.properties", "db.password=\\u12" + secret + "\n");
      app.signal("HUP");
      ReloadStatus rejected = app.awaitAttempt(2);
      assertThat(rejected.error()).contains("details withheld").doesNotContain(secret);
      // changed again, valid: Micronaut's debug log of the RefreshEvent must not carry it either
      publish(app.secrets, "vault.properties", "db.password=" + secret + "-2\n");
      app.signal("HUP");
      assertThat(app.awaitAttempt(3).applied()).isTrue();
      // Micronaut's environment follows the served config on its own thread, shortly after
      await().atMost(Duration.ofSeconds(60)).until(() -> app.output().contains("RefreshEvent"));
      app.stop();
      assertThat(app.output()).doesNotContain(secret);
      assertThat(Files.readString(app.statusFile)).doesNotContain(secret);
    }
  }

  @Test
  void anUnwritableStatusFileIsReportedAndTheAppKeepsServing() throws Exception {
    Path notADir = Files.writeString(work.resolve("not-a-dir"), "x");
    publish(work.resolve("config"), "application.yml", greeting("still here"));
    Map<String, String> env = Map.of("APP_STATUS_FILE", notADir.resolve("status.json").toString());
    try (HostProcess app = HostProcess.start(Application.class, work, env)) {
      assertThat(app.get("/")).isEqualTo("still here");
      assertThat(app.manage("/config")).contains("cannot write the status file");
      assertThat(app.output()).contains("cannot write the status file");
      publish(app.config, "application.yml", greeting("reloaded anyway"));
      app.signal("HUP");
      await().atMost(Duration.ofSeconds(60)).until(() -> app.get("/").equals("reloaded anyway"));
    }
  }

  @Test
  void micronautRefreshableSettingsFollowAReload() throws Exception {
    publish(work.resolve("config"), "application.yml", greeting("quiet"));
    try (HostProcess app = HostProcess.start(Application.class, work)) {
      app.awaitAttempt(1);
      publish(
          app.config,
          "application.yml",
          greeting("verbose") + "logger:\n  levels:\n    io.podreload.micronaut: DEBUG\n");
      app.signal("HUP");
      app.awaitAttempt(2);
      // Micronaut's environment follows on its own thread; at debug level, its line shows it did
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> app.output().contains("Micronaut's environment follows version"));
      app.signal("HUP"); // the refreshed logger level shows on the next attempt
      app.awaitAttempt(3);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> app.output().contains("load attempt 3: reading"));
      assertThat(app.output()).doesNotContain("load attempt 2: reading");
    }
  }
}
