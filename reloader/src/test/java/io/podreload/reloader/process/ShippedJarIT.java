package io.podreload.reloader.process;

import static io.podreload.reloader.process.PodNamespace.freePort;
import static io.podreload.reloader.process.PodNamespace.get;
import static io.podreload.reloader.process.PodNamespace.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.reloader.kubernetes.FakeKubernetesApi;
import io.podreload.reloader.vault.FakeVault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar as shipped ({@code java @jvm.options -jar target/reloader.jar}) in each of its source
 * modes. The jar leaves out the parts of its libraries that the reloader never loads (see
 * reloader/pom.xml); these tests fail if that cut something a mode needs. The Kubernetes API and
 * Vault are the tests' fakes of their documented protocols (neither can run here).
 */
class ShippedJarIT {

  static final Path JAR = Path.of("target/reloader.jar").toAbsolutePath();
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;
  final List<Process> processes = new ArrayList<>();
  int port;

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroy();
      p.waitFor();
    }
  }

  void startReloader(Map<String, String> settings) throws Exception {
    port = freePort();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + Path.of("jvm.options").toAbsolutePath(),
                "-jar",
                JAR.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("reloader.out").toFile());
    Map<String, String> env = builder.environment();
    env.put("RELOADER_HTTP_PORT", Integer.toString(port));
    env.put("RELOADER_STATUS_FILE", tmp.resolve("status.json").toString());
    env.put("RELOADER_TARGET_CMDLINE", "no-app-in-this-test-" + port);
    env.putAll(settings);
    processes.add(builder.start());
    await()
        .atMost(WAIT)
        .until(() -> get(port, "/health").contains("\"status\"") || !processes.get(0).isAlive());
    assertThat(processes.get(0).isAlive()).as(output()).isTrue();
  }

  String output() {
    try {
      return Files.readString(tmp.resolve("reloader.out"));
    } catch (Exception e) {
      return e.toString();
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void theConfigMapSourceRendersTheConfigMapAndEveryUpdateFromTheApi() throws Exception {
    try (FakeKubernetesApi api = new FakeKubernetesApi()) {
      api.put("podreload", "app-config", Map.of("application.yml", "app:\n  greeting: first\n"));
      Path render = tmp.resolve("render");
      startReloader(
          Map.of(
              "RELOADER_SOURCES",
              "configmap",
              "RELOADER_CONFIGMAP_NAMESPACE",
              "podreload",
              "RELOADER_RENDER_DIR",
              render.toString(),
              "KUBERNETES_CLIENT_BASE_PATH",
              api.url()));
      assertThat(read(render.resolve("application.yml"))).contains("first");
      api.put("podreload", "app-config", Map.of("application.yml", "app:\n  greeting: second\n"));
      await().atMost(WAIT).until(() -> read(render.resolve("application.yml")).contains("second"));
      assertThat(Files.isSymbolicLink(render.resolve("..data"))).isTrue();
      assertThat(metric(port, "reloader_watch_events_total\\{source=\"configmap\"\\}"))
          .as(output())
          .isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void theVaultSourceRendersTheSecretAndItsNewVersion() throws Exception {
    try (FakeVault vault = new FakeVault()) {
      String one = "first-" + UUID.randomUUID();
      String two = "second-" + UUID.randomUUID();
      vault.putV2("secret", "app", Map.of("db.password", one));
      Path secrets = tmp.resolve("secrets");
      Map<String, String> settings = new HashMap<>();
      settings.put("RELOADER_SOURCES", "vault");
      settings.put("RELOADER_SECRETS_DIR", secrets.toString());
      settings.put("VAULT_ADDR", vault.address());
      settings.put("VAULT_TOKEN", vault.createToken(3600));
      settings.put("RELOADER_VAULT_PATH", "secret/app");
      settings.put("RELOADER_VAULT_POLL_INTERVAL", "200ms");
      startReloader(settings);
      Path file = secrets.resolve("vault.properties");
      await().atMost(WAIT).until(() -> read(file).contains("db.password=" + one));
      vault.putV2("secret", "app", Map.of("db.password", two));
      await().atMost(WAIT).until(() -> read(file).contains("db.password=" + two));
      assertThat(output()).doesNotContain(one).doesNotContain(two); // never logged
    }
  }

  @Test
  void theVolumeSourceSeesAKubeletSwap() throws Exception {
    Path config = Files.createDirectories(tmp.resolve("config"));
    ReloaderWithRealProcessesTest.publish(config, "app:\n  greeting: first\n");
    startReloader(Map.of("RELOADER_VOLUME_DIRS", config.toString()));
    double before = metric(port, "reloader_watch_events_total\\{source=\"volume\"\\}");
    ReloaderWithRealProcessesTest.publish(config, "app:\n  greeting: second\n");
    await()
        .atMost(WAIT)
        .until(() -> metric(port, "reloader_watch_events_total\\{source=\"volume\"\\}") > before);
  }
}
