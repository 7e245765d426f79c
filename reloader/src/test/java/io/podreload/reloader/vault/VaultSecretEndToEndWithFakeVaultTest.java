package io.podreload.reloader.vault;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reloader (its classes, as a process) and the real app jar as a second process, the reloader
 * reading from {@link FakeVault}, a fake of Vault's HTTP API (no Vault server runs here). The app
 * is told apart from other java processes on the machine by a marker in its command line. Skipped
 * when the app jar is not built (the full build builds it before the reloader's tests).
 */
class VaultSecretEndToEndWithFakeVaultTest {

  private static final Path APP_JAR = Path.of("../app/target/app.jar").toAbsolutePath().normalize();
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JWT = "jwt-" + UUID.randomUUID();

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Process> processes = new ArrayList<>();
  private FakeVault vault;

  @TempDir Path temp;
  private Path secretsDir;
  private Path statusFile;
  private int appPort;
  private int appManagementPort;
  private int reloaderPort;

  @BeforeEach
  void fakeVault() throws Exception {
    Assumptions.assumeTrue(
        Files.isRegularFile(APP_JAR),
        APP_JAR + " is missing: build it first (./mvnw -B package -pl app -am, or the full build)");
    vault = new FakeVault();
    vault.allowKubernetesLogin("app", JWT);
  }

  @AfterEach
  void stop() throws Exception {
    for (Process process : processes) {
      process.destroy();
    }
    for (Process process : processes) {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    if (vault != null) {
      vault.close();
    }
  }

  @Test
  void aNewSecretVersionReachesTheAppAsANewGenerationWithTheValueMasked() throws Exception {
    String first = canary();
    String second = canary();
    vault.putV2("secret", "app", Map.of("db.password", first, "db.user", "app"));
    startPod();
    JsonNode before = appConfig();
    assertEquals("******", before.at("/properties/db.password").asText());
    assertEquals("******", before.at("/properties/db.user").asText(), "a secret dir masks all");

    vault.putV2("secret", "app", Map.of("db.password", second, "db.user", "app"));

    awaitAppliedAfter(before.at("/sources").path(DirSnapshot.keyOf(secretsDir)).asText());
    JsonNode after = appConfig();
    assertTrue(
        after.path("generation").asLong() > before.path("generation").asLong(),
        "a new generation: " + after);
    assertEquals("******", after.at("/properties/db.password").asText());
    assertTrue(Files.readString(secretsDir.resolve("vault.properties")).contains(second));
    assertFalse(after.toString().contains(second));
  }

  @Test
  void noSecretValueAppearsInAnyOutputOfTheWholeFlow() throws Exception {
    List<String> secrets = List.of(canary(), canary(), canary());
    vault.putV2("secret", "app", Map.of("db.password", secrets.get(0)));
    startPod();

    // a new version, Vault sealed for a while, a revoked token, another version
    String first = secretsHash();
    vault.putV2("secret", "app", Map.of("db.password", secrets.get(1)));
    awaitAppliedAfter(first);
    vault.seal(true);
    patiently().until(() -> status(reloaderPort, "/health") == 503);
    assertTrue(get(reloaderPort, "/health").contains("sealed"), get(reloaderPort, "/health"));
    vault.seal(false);
    patiently().until(() -> status(reloaderPort, "/health") == 200);
    vault.revokeAll();
    patiently().until(() -> vault.logins() >= 2);
    String second = secretsHash();
    vault.putV2("secret", "app", Map.of("db.password", secrets.get(2), "api.key", secrets.get(0)));
    awaitAppliedAfter(second);

    Map<String, String> outputs = new java.util.LinkedHashMap<>();
    outputs.put("app /config", get(appManagementPort, "/config"));
    outputs.put("app /health", get(appManagementPort, "/health"));
    outputs.put("app /prometheus", get(appManagementPort, "/prometheus"));
    outputs.put("reloader /health", get(reloaderPort, "/health"));
    outputs.put("reloader /prometheus", get(reloaderPort, "/prometheus"));
    outputs.put("status file", Files.readString(statusFile));
    outputs.put("access log", Files.readString(temp.resolve("access.log")));
    for (Path log :
        List.of("app.out", "app.err", "reloader.out", "reloader.err").stream()
            .map(temp::resolve)
            .toList()) {
      outputs.put(log.getFileName().toString(), Files.readString(log));
    }

    String metrics = outputs.get("reloader /prometheus");
    assertTrue(metrics.contains("reloader_vault_errors_total{reason=\"sealed\"}"), metrics);
    assertTrue(metrics.contains("reloader_vault_logins_total 2.0"), metrics);
    // The search can find a value: the rendered file has the last one.
    assertTrue(Files.readString(secretsDir.resolve("vault.properties")).contains(secrets.get(2)));
    assertTrue(outputs.get("reloader.out").contains("rendered Vault secret"), "the flow ran");
    assertTrue(vault.issuedTokens().size() >= 2, "logged in, and again after the revocation");
    for (Map.Entry<String, String> output : outputs.entrySet()) {
      for (String secret : secrets) {
        assertFalse(output.getValue().contains(secret), "a secret value in " + output.getKey());
      }
      assertFalse(output.getValue().contains(JWT), "the service-account JWT in " + output.getKey());
      for (String token : vault.issuedTokens()) {
        assertFalse(output.getValue().contains(token), "a Vault token in " + output.getKey());
      }
    }
  }

  /** Starts the reloader, then the app, as in the pod (the reloader is a native sidecar). */
  private void startPod() throws Exception {
    secretsDir = temp.resolve("secrets");
    statusFile = temp.resolve("reload-status.json");
    Path configDir = Files.createDirectories(temp.resolve("config"));
    Path jwt = Files.writeString(temp.resolve("jwt"), JWT);
    String marker = "podreload.e2e=" + UUID.randomUUID();
    appPort = freePort();
    appManagementPort = freePort();
    reloaderPort = freePort();

    ProcessBuilder reloader =
        new ProcessBuilder(
            JAVA.toString(),
            "@" + Path.of("jvm.options").toAbsolutePath(),
            "-cp",
            System.getProperty("java.class.path"),
            "io.podreload.reloader.Application");
    Map<String, String> env = reloader.environment();
    env.put("RELOADER_HTTP_PORT", String.valueOf(reloaderPort));
    env.put("RELOADER_SOURCES", "vault");
    env.put("RELOADER_TARGET_CMDLINE", marker.replace(".", "\\.") + " .*app\\.jar");
    env.put("RELOADER_STATUS_FILE", statusFile.toString());
    env.put("RELOADER_SECRETS_DIR", secretsDir.toString());
    env.put("VAULT_ADDR", vault.address());
    env.put("RELOADER_VAULT_PATH", "secret/app");
    env.put("RELOADER_VAULT_AUTH", "kubernetes");
    env.put("RELOADER_VAULT_ROLE", "app");
    env.put("RELOADER_VAULT_JWT_FILE", jwt.toString());
    env.put("RELOADER_VAULT_POLL_INTERVAL", "200ms");
    env.put("RELOADER_VAULT_BACKOFF_MAX", "500ms");
    env.put("RELOADER_VAULT_DEGRADED_AFTER", "1s");
    env.put("LOG_LEVEL", "debug");
    env.remove("VAULT_TOKEN");
    Process reloaderProcess = start(reloader, "reloader");
    awaitFirstRender(reloaderProcess);

    ProcessBuilder app =
        new ProcessBuilder(
            JAVA.toString(),
            "@" + APP_JAR.getParent().getParent().resolve("jvm.options"),
            "-D" + marker,
            "-jar",
            APP_JAR.toString());
    env = app.environment();
    env.put("MICRONAUT_SERVER_PORT", String.valueOf(appPort));
    env.put("ENDPOINTS_ALL_PORT", String.valueOf(appManagementPort));
    env.put("APP_CONFIG_DIRS", configDir + "," + secretsDir);
    env.put("APP_SECRET_DIRS", secretsDir.toString());
    env.put("APP_STATUS_FILE", statusFile.toString());
    env.put("APP_ACCESS_LOG", temp.resolve("access.log").toString());
    // The app at its default level: at debug, Micronaut logs each RefreshEvent with its values.
    Process appProcess = start(app, "app");
    try {
      // an app's start takes 2 s here, and ten times that when the machine is shared
      await()
          .atMost(Duration.ofSeconds(120))
          .ignoreExceptionsInstanceOf(IOException.class) // not listening yet
          .until(
              () -> {
                if (!appProcess.isAlive()) {
                  fail("the app exited " + appProcess.exitValue() + ":\n" + output("app"));
                }
                return appConfig().at("/properties/db.password").asText().equals("******");
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "the app did not serve its masked config; its output:\n"
              + output("app")
              + "\nthe reloader's:\n"
              + output("reloader"),
          e);
    }
  }

  private Process start(ProcessBuilder builder, String name) throws IOException {
    builder.redirectOutput(temp.resolve(name + ".out").toFile());
    builder.redirectError(temp.resolve(name + ".err").toFile());
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  /** Waits for the reloader to render the secret: its start-up waits for that. */
  private void awaitFirstRender(Process reloader) {
    Path file = secretsDir.resolve("vault.properties");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              if (!reloader.isAlive()) {
                fail("the reloader exited " + reloader.exitValue() + ":\n" + output("reloader"));
              }
              return Files.exists(file);
            });
  }

  private String output(String name) throws IOException {
    return Files.readString(temp.resolve(name + ".out"))
        + Files.readString(temp.resolve(name + ".err"));
  }

  private JsonNode appConfig() throws Exception {
    return JSON.readTree(get(appManagementPort, "/config"));
  }

  /** Waits for a new render of the secrets dir, then for the app to have applied it. */
  private void awaitAppliedAfter(String previousHash) {
    patiently().until(() -> !secretsHash().equals(previousHash));
    patiently().until(() -> dirHashOfTheAppsLastLoad().equals(secretsHash()));
  }

  /** The hash the app's last load read from the secrets dir, per its status file. */
  private String dirHashOfTheAppsLastLoad() throws IOException {
    if (!Files.exists(statusFile)) {
      return "";
    }
    JsonNode status = JSON.readTree(statusFile.toFile());
    return status.path("result").asText().equals("applied")
        ? status.path("sources").path(DirSnapshot.keyOf(secretsDir)).asText()
        : "";
  }

  private String secretsHash() throws IOException {
    return KubeletVolume.read(secretsDir).hash();
  }

  private String get(int port, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Two JVMs and a signal on a busy 2-core machine: waits are generous. */
  private static ConditionFactory patiently() {
    return await().atMost(Duration.ofSeconds(30));
  }

  private int status(int port, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static String canary() {
    return "canary-" + UUID.randomUUID();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
