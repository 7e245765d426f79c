package io.podreload.reloader.vault;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podreload.common.KubeletVolume;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.rollout.ManualClock;
import io.podreload.reloader.source.SourceChange;
import java.io.StringReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vault source against {@link FakeVault}, a fake of Vault's HTTP API (no Vault server runs
 * here): rendering, change detection, token life, failures.
 */
class VaultSourceWithFakeVaultTest {

  private static final String PASSWORD = "s3cr3t-v1-do-not-leak";

  private final FakeVault vault = new FakeVault();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final List<SourceChange> changes = new CopyOnWriteArrayList<>();
  private VaultSource source;

  @TempDir Path temp;

  VaultSourceWithFakeVaultTest() throws Exception {}

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
    vault.close();
  }

  private TestSettings settings() {
    TestSettings settings = new TestSettings(vault.address(), temp.resolve("secrets"));
    settings.token = vault.createToken(3600);
    return settings;
  }

  private TestSettings kubernetesSettings() throws Exception {
    TestSettings settings = new TestSettings(vault.address(), temp.resolve("secrets"));
    settings.auth = "kubernetes";
    settings.role = "app";
    settings.jwtFile = Files.writeString(temp.resolve("jwt"), "jwt-of-the-pod\n");
    vault.allowKubernetesLogin("app", "jwt-of-the-pod");
    return settings;
  }

  private void start(TestSettings settings) throws Exception {
    source = new VaultSource(settings.build(), registry);
    source.start(changes::add);
  }

  /** On a clock that moves only when the test moves it. */
  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

  /** The source on the test's clock, without its thread: the test runs each round (no waits). */
  private void startStepped(TestSettings settings) throws Exception {
    source = new VaultSource(settings.build(), registry, clock, false);
    source.start(changes::add);
  }

  /** Moves the clock on by {@code by} and runs one round; returns the wait it asks for. */
  private Duration after(Duration by) {
    clock.advance(by);
    return source.step();
  }

  private Properties rendered(Path dir) throws Exception {
    Properties properties = new Properties();
    properties.load(
        new StringReader(
            Files.readString(dir.resolve("vault.properties"), StandardCharsets.UTF_8)));
    return properties;
  }

  /** An address where nothing listens: connections are refused. */
  private static String nothingListening() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }
  }

  private long requests(String path) {
    return vault.requests().stream().filter(r -> r.path().equals(path)).count();
  }

  private double counter(String name, String... labels) {
    return registry.value(name, labels);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0400", "0440"})
  void theSecretIsRenderedInTheKubeletLayoutBeforeStartReturns(String mode) throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD, "db.user", "app"));
    TestSettings settings = settings();
    settings.fileMode = mode;

    start(settings);

    Path dir = settings.secretsDir;
    assertEquals(1, changes.size(), "reported once by start()");
    SourceChange first = changes.get(0);
    assertEquals("vault", first.source());
    assertEquals("1", first.revision());
    assertEquals(KubeletVolume.read(dir).hash(), first.snapshot().hash());
    assertTrue(Files.isSymbolicLink(dir.resolve("..data")));
    assertEquals(
        Path.of("..data/vault.properties"),
        Files.readSymbolicLink(dir.resolve("vault.properties")));
    Path payload = dir.resolve("..data").toRealPath().resolve("vault.properties");
    assertEquals(
        mode.equals("0400") ? "r--------" : "r--r-----",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(payload)));
    assertEquals(PASSWORD, rendered(dir).getProperty("db.password"));
    assertEquals("app", rendered(dir).getProperty("db.user"));
  }

  @Test
  void aNewVersionIsRenderedAndReportedOnceAndAnUnchangedVersionReadsNoData() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    start(settings);
    long polls = requests("secret/metadata/app");
    await().until(() -> requests("secret/metadata/app") >= polls + 3);
    assertEquals(1, requests("secret/data/app"), "the data is read only for a new version");
    assertEquals(1, changes.size());

    vault.putV2("secret", "app", Map.of("db.password", "v2"));

    await().until(() -> changes.size() == 2);
    assertEquals("2", changes.get(1).revision());
    assertEquals("v2", rendered(settings.secretsDir).getProperty("db.password"));
    long after = requests("secret/metadata/app");
    await().until(() -> requests("secret/metadata/app") >= after + 3);
    assertEquals(2, changes.size(), "reported once");
    assertEquals(2, requests("secret/data/app"));
    assertEquals(2.0, registry.value("reloader_vault_secret_version"));
  }

  @Test
  void aNewVersionWithTheSameContentIsNotReportedAgain() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    start(settings());

    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));

    await().until(() -> requests("secret/data/app") == 2);
    long after = requests("secret/metadata/app");
    await().until(() -> requests("secret/metadata/app") >= after + 2);
    assertEquals(1, changes.size());
    assertEquals(2, requests("secret/data/app"), "version 2 was read once");
  }

  @Test
  void kvVersion1ChangesAreFoundByTheirHash() throws Exception {
    vault.putV1("kv", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    settings.kvVersion = 1;
    settings.path = "kv/app";
    start(settings);
    assertEquals(1, changes.size());
    long polls = requests("kv/app");
    await().until(() -> requests("kv/app") >= polls + 3);
    assertEquals(1, changes.size(), "the same content is no change");

    vault.putV1("kv", "app", Map.of("db.password", "v2"));

    await().until(() -> changes.size() == 2);
    assertEquals("v2", rendered(settings.secretsDir).getProperty("db.password"));
    assertFalse(changes.get(1).revision().equals(changes.get(0).revision()));
    assertEquals(16, changes.get(1).revision().length(), "a content hash names a KV v1 secret");
  }

  @Test
  void kubernetesAuthLogsInOnceAndRenewsTheTokenBeforeItExpires() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    vault.loginTtlSeconds(6);

    startStepped(kubernetesSettings());

    assertEquals(1, vault.logins());
    after(Duration.ofMillis(3500)); // renewal at two thirds of the TTL: 4 s, give or take 10%
    assertEquals(0, vault.renewals(), "not yet");
    after(Duration.ofMillis(1000));
    assertEquals(1, vault.renewals(), "renewed at 4.5 s");
    after(Duration.ofMillis(4500));
    assertEquals(2, vault.renewals(), "and again two thirds of the renewed TTL later");
    assertEquals(2.0, counter("reloader_vault_renewals_total"));
    assertEquals(1, vault.logins(), "renewed, not logged in again");
    assertEquals(1.0, counter("reloader_vault_logins_total"));
    assertEquals(0, vault.requests().stream().filter(r -> r.path().contains("lookup")).count());
  }

  @Test
  void aRefusedRenewalLeadsToANewLogin() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    vault.loginTtlSeconds(2);
    TestSettings settings = kubernetesSettings();
    settings.pollInterval = Duration.ofHours(1); // only the renewal, at about 1.3 s, calls Vault
    startStepped(settings);

    vault.revokeAll();
    after(Duration.ofMillis(1500));

    assertEquals(2, vault.logins());
    assertTrue(
        vault.requests().stream().anyMatch(r -> r.path().equals("auth/token/renew-self")),
        "the renewal found the token revoked");
    assertEquals(0.0, counter("reloader_vault_renewals_total"));
  }

  @Test
  void anExpiredTokenLeadsToANewLogin() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = kubernetesSettings();
    start(settings);

    vault.expireAll();
    vault.putV2("secret", "app", Map.of("db.password", "v2"));

    await().until(() -> changes.size() == 2);
    assertEquals(2, vault.logins());
    assertEquals("v2", rendered(settings.secretsDir).getProperty("db.password"));
    assertTrue(counter("reloader_vault_errors_total", "reason", "denied") >= 1);
  }

  @Test
  void aRevokedTokenLeadsToANewLoginAndPollingGoesOn() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    start(kubernetesSettings());

    vault.revokeAll();

    await().until(() -> vault.logins() == 2);
    vault.putV2("secret", "app", Map.of("db.password", "v2"));
    await().until(() -> changes.size() == 2);
    assertEquals(2.0, counter("reloader_vault_logins_total"));
    assertTrue(source.problem().isEmpty());
  }

  @Test
  void aTokenFileIsReadAgainWhenItsTokenIsDenied() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = new TestSettings(vault.address(), temp.resolve("secrets"));
    String first = vault.createToken(3600);
    settings.tokenFile = Files.writeString(temp.resolve("token"), first);
    start(settings);

    vault.expire(first);
    Files.writeString(temp.resolve("token"), vault.createToken(3600)); // rotated by an agent
    vault.putV2("secret", "app", Map.of("db.password", "v2"));

    await().until(() -> changes.size() == 2);
    assertEquals("v2", rendered(settings.secretsDir).getProperty("db.password"));
  }

  @Test
  void aSealedVaultKeepsTheLastSecretReportsAProblemAfterTheThresholdAndRecovers()
      throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    settings.degradedAfter = Duration.ofSeconds(60);
    startStepped(settings);
    String before = Files.readString(settings.secretsDir.resolve("vault.properties"));

    vault.seal(true);
    after(settings.pollInterval.multipliedBy(2)); // the next poll (at the interval, jittered) fails

    assertEquals(1.0, counter("reloader_vault_errors_total", "reason", "sealed"));
    clock.advance(Duration.ofSeconds(59));
    assertTrue(source.problem().isEmpty(), "no problem before the threshold");
    clock.advance(Duration.ofSeconds(2));
    assertTrue(source.problem().isPresent(), "a problem past the threshold");
    String problem = source.problem().orElseThrow();
    assertTrue(problem.contains("sealed") && problem.contains("503"), problem);
    assertFalse(problem.contains(PASSWORD));
    assertEquals(before, Files.readString(settings.secretsDir.resolve("vault.properties")));
    assertEquals(1, changes.size());

    vault.seal(false);
    vault.putV2("secret", "app", Map.of("db.password", "v2"));
    after(Duration.ZERO); // the retry was due long ago

    assertEquals(2, changes.size());
    assertTrue(source.problem().isEmpty());
  }

  @Test
  void whileVaultFailsCallsBackOffInsteadOfFollowingThePollInterval() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    settings.pollInterval = Duration.ofMillis(50);
    settings.backoffMax = Duration.ofSeconds(2);
    startStepped(settings);
    vault.seal(true);
    long calls = vault.requests().size();

    Duration wait = after(settings.pollInterval.multipliedBy(2)); // the next poll fails
    for (Duration elapsed = Duration.ZERO;
        elapsed.compareTo(Duration.ofSeconds(2)) < 0;
        elapsed = elapsed.plus(wait)) {
      wait = after(wait); // every round when the source asks for it
    }

    // At the poll interval, 2 s would be about 40 calls; backing off 0.05, 0.1, 0.2 ... s: < 10.
    long during = vault.requests().size() - calls;
    assertTrue(during >= 3 && during < 10, during + " calls in 2 s");
  }

  @Test
  void everyRequestCarriesTheVaultNamespace() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    vault.requireNamespace("team-a");
    TestSettings settings = kubernetesSettings();
    settings.namespace = "team-a";
    vault.loginTtlSeconds(2);

    startStepped(settings);
    after(Duration.ofMillis(1500)); // past the renewal at two thirds of the TTL

    assertEquals(1, vault.renewals());
    assertEquals(1, changes.size());
    assertTrue(vault.requests().stream().allMatch(r -> "team-a".equals(r.namespace())));
    assertTrue(vault.requests().stream().anyMatch(r -> r.path().equals("auth/kubernetes/login")));
  }

  @Test
  void aWrongPathFailsTheStartWithWhatToFix() {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    settings.path = "secret/ap";

    Exception e = assertThrows(IllegalStateException.class, () -> start(settings));

    assertTrue(
        e.getMessage().contains("404") && e.getMessage().contains("RELOADER_VAULT_PATH"),
        e.getMessage());
  }

  @Test
  void missingSettingsFailTheStartNamingEachVariable() {
    TestSettings settings = new TestSettings("", temp.resolve("secrets"));
    settings.path = "app";
    settings.fileMode = "0644";

    Exception e = assertThrows(IllegalStateException.class, () -> start(settings));

    for (String name :
        List.of("VAULT_ADDR", "RELOADER_VAULT_PATH", "VAULT_TOKEN", "RELOADER_VAULT_FILE_MODE")) {
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    assertTrue(registry.isEmpty(), "no Vault metrics from a source that never ran");
  }

  @Test
  void aDeniedTokenFailsTheStartWithoutShowingTheToken() {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    vault.expire(settings.token);

    Exception e = assertThrows(IllegalStateException.class, () -> start(settings));

    assertTrue(e.getMessage().contains("403"), e.getMessage());
    assertFalse(e.getMessage().contains(settings.token));
    assertFalse(settings.build().toString().contains(settings.token));
  }

  @Test
  void anUnreachableVaultAtStartServesTheSecretRenderedByAnEarlierRun() throws Exception {
    vault.putV2("secret", "app", Map.of("db.password", PASSWORD));
    TestSettings settings = settings();
    start(settings);
    source.close();
    changes.clear();
    settings.address = nothingListening();
    settings.startTimeout = Duration.ofMillis(500);

    start(settings);

    assertEquals(1, changes.size());
    assertEquals(PASSWORD, rendered(settings.secretsDir).getProperty("db.password"));
    assertTrue(counter("reloader_vault_errors_total", "reason", "unreachable") >= 1);
  }

  @Test
  void aVaultThatNeverAnswersTimesOut() throws Exception {
    // Connections are accepted by the kernel (the backlog) but nothing ever answers.
    try (ServerSocket silent = new ServerSocket(0)) {
      TestSettings settings = settings();
      settings.address = "http://127.0.0.1:" + silent.getLocalPort();
      settings.startTimeout = Duration.ofMillis(1500);

      Exception e = assertThrows(IllegalStateException.class, () -> start(settings));

      assertTrue(e.getMessage().contains("no answer within 2s"), e.getMessage());
      assertTrue(counter("reloader_vault_errors_total", "reason", "timeout") >= 1);
    }
  }

  @Test
  void anUnreachableVaultAtTheFirstStartFailsItAfterTheStartTimeout() throws Exception {
    TestSettings settings = settings();
    settings.address = nothingListening();
    settings.startTimeout = Duration.ofMillis(300);

    Exception e = assertThrows(IllegalStateException.class, () -> start(settings));

    assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
    assertTrue(e.getMessage().contains("VAULT_ADDR"), e.getMessage());
  }
}
