package io.podreload.reloader.process;

import static io.podreload.reloader.process.PodNamespace.freePort;
import static io.podreload.reloader.process.PodNamespace.get;
import static io.podreload.reloader.process.PodNamespace.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podreload.devtools.LocalKubernetesApi;
import io.podreload.reloader.vault.FakeVault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

  /**
   * What the reloader runs from; a test that runs it as another user copies them where it can read.
   */
  Path jar = JAR;

  Path jvmOptions = Path.of("jvm.options").toAbsolutePath();
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
    startReloader(settings, List.of());
  }

  /** {@code prefix}: e.g. setpriv, to run the reloader as another user. */
  void startReloader(Map<String, String> settings, List<String> prefix) throws Exception {
    port = freePort();
    List<String> command = new ArrayList<>(prefix);
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "@" + jvmOptions,
            "-jar",
            jar.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
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
    try (LocalKubernetesApi api = new LocalKubernetesApi()) {
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
      // counted once the render is in place: awaited, not read right after it
      await()
          .atMost(WAIT)
          .until(() -> metric(port, "reloader_watch_events_total\\{source=\"configmap\"\\}") >= 2);
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
      settings.put("LOG_LEVEL", "trace"); // no level may print the token or a secret
      startReloader(settings);
      Path file = secrets.resolve("vault.properties");
      await().atMost(WAIT).until(() -> read(file).contains("db.password=" + one));
      vault.putV2("secret", "app", Map.of("db.password", two));
      await().atMost(WAIT).until(() -> read(file).contains("db.password=" + two));
      assertThat(output()).contains("TRACE").doesNotContain(one).doesNotContain(two);
      assertThat(output()).doesNotContain(settings.get("VAULT_TOKEN"));
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

  /**
   * Once the reloader answers, the signal path's warm-up runs, every round of it while no change
   * comes (none does here), off the start-up's path: without it the first changes run that code in
   * the interpreter. Its rounds read the watched dir.
   */
  @Test
  void theSignalPathIsWarmedUpOnceTheReloaderAnswers() throws Exception {
    Path config = Files.createDirectories(tmp.resolve("config"));
    ReloaderWithRealProcessesTest.publish(config, "app:\n  greeting: first\n");
    startReloader(Map.of("RELOADER_VOLUME_DIRS", config.toString()));
    await().atMost(WAIT).until(() -> output().contains("signal path warmed up: 256 of 256 rounds"));
    assertThat(output().indexOf("ready: /health"))
        .isNotNegative()
        .isLessThan(output().indexOf("signal path warmed up"));
  }

  static final List<String> AS_USER_1000 =
      List.of("setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups");

  static int runAsUser1000(String script) throws Exception {
    List<String> command = new ArrayList<>(AS_USER_1000);
    command.addAll(List.of("sh", "-c", script));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  @Test
  void anotherProcessOfTheSameUserCannotReadTheReloadersEnvironmentOrRoot() throws Exception {
    assumeTrue(
        "0"
            .equals(
                new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes())
                    .strip()),
        "needs root to run processes as another user");
    // The check can fail: a same-UID process that did not make itself non-dumpable is readable.
    assertThat(
            runAsUser1000(
                "sleep 30 & p=$!; cat /proc/$p/environ >/dev/null; r=$?; kill $p; exit $r"))
        .isZero();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    // The checkout may lie where user 1000 cannot read (a 0700 dir): run from copies in tmp.
    jar = Files.copy(JAR, tmp.resolve("reloader.jar"));
    jvmOptions = Files.copy(Path.of("jvm.options"), tmp.resolve("jvm.options"));
    Path config = Files.createDirectories(tmp.resolve("config"));
    ReloaderWithRealProcessesTest.publish(config, "app:\n  greeting: first\n");
    startReloader(
        Map.of("RELOADER_VOLUME_DIRS", config.toString(), "TOKEN_LIKE", "s3cret-" + port),
        AS_USER_1000);
    long pid = processes.get(0).pid(); // setpriv execs java
    assertThat(runAsUser1000("cat /proc/" + pid + "/environ")).as(output()).isNotZero();
    assertThat(runAsUser1000("ls /proc/" + pid + "/root/")).isNotZero();
    assertThat(runAsUser1000("head -c1 /proc/" + pid + "/mem")).isNotZero();
  }
}
