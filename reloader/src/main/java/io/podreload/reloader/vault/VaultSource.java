package io.podreload.reloader.vault;

import io.podreload.common.Backoff;
import io.podreload.common.ConfigFile;
import io.podreload.common.DirSnapshot;
import io.podreload.common.Heartbeat;
import io.podreload.common.KubeletVolume;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.source.SourceLoop;
import io.podreload.reloader.vault.VaultClient.Lease;
import io.podreload.reloader.vault.VaultClient.Secret;
import io.podreload.reloader.vault.VaultFailure.Reason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code vault} source: one KV secret, rendered as a properties file into the secrets dir.
 *
 * <p>It logs in (a token, or Kubernetes auth), renews its token at two thirds of its TTL and logs
 * in again when renewal fails or Vault denies the token. It checks the secret every poll interval:
 * KV v2 by its metadata's {@code current_version} (the data is read only for a new version), KV v1
 * by the hash of its content. While Vault fails, the rendered secret stays as it is, calls back off
 * with jitter, and {@link #problem()} speaks once the failure lasts longer than {@code
 * degraded-after}.
 *
 * <p>It runs on the shared {@link SourceLoop}: each round ({@link #step()}) renews the token when
 * its renewal is due and checks the secret when its poll is due, both by the injected clock, and
 * says how long to wait for the next. All state changes happen under this object's lock, from
 * {@link #start} and from that one thread, so they never interleave; tests drive {@link #step()} on
 * a clock of their own, without the thread.
 */
@Singleton
public final class VaultSource implements ConfigSource {

  public static final String NAME = "vault";
  private static final Logger LOG = LoggerFactory.getLogger(VaultSource.class);

  private final VaultSettings settings;
  private final PrometheusRegistry registry;
  private final Clock clock;
  private final SourceLoop loop;
  private final boolean ownThread;

  private VaultMetrics metrics;
  private VaultClient client;
  private SnapshotListener listener;
  private Lease lease;
  private Duration loginTtl = Duration.ZERO;
  private Instant pollAt; // when the secret is checked next
  private Instant renewAt; // when the token is renewed next; null: no renewal
  private int renderedVersion = -1;
  private String renderedHash;

  // Read by problem() from the health endpoint's thread.
  private volatile boolean started;
  private volatile VaultFailure lastFailure;
  private volatile String servedRevision = "none";
  private volatile boolean closed;

  @Inject
  public VaultSource(VaultSettings settings, PrometheusRegistry registry) {
    this(settings, registry, Clock.systemUTC());
  }

  VaultSource(VaultSettings settings, PrometheusRegistry registry, Clock clock) {
    this(settings, registry, clock, true);
  }

  /** With {@code ownThread} false, {@link #start} starts no thread: the test calls step(). */
  VaultSource(VaultSettings settings, PrometheusRegistry registry, Clock clock, boolean ownThread) {
    this.settings = settings;
    this.registry = registry;
    this.clock = clock;
    this.ownThread = ownThread;
    // From one second (or the poll interval, if shorter) up to backoff-max, jittered.
    Duration first =
        settings.pollInterval().compareTo(Duration.ofSeconds(1)) < 0
            ? settings.pollInterval()
            : Duration.ofSeconds(1);
    Backoff backoff =
        new Backoff(
            first, settings.backoffMax().compareTo(first) < 0 ? first : settings.backoffMax());
    // A round runs every poll interval (jittered), or after a backoff while Vault fails.
    Duration silentAfter =
        settings
            .pollInterval()
            .multipliedBy(2)
            .plus(settings.backoffMax())
            .plus(settings.timeout().multipliedBy(4))
            .plusSeconds(60);
    this.loop = new SourceLoop("vault-poll", silentAfter, backoff, settings.degradedAfter(), clock);
  }

  @Override
  public List<Heartbeat> heartbeats() {
    return started && ownThread ? List.of(loop.heartbeat()) : List.of();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public synchronized void start(SnapshotListener listener) throws Exception {
    List<String> problems = settings.problems();
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "the Vault source cannot start: " + String.join("; ", problems));
    }
    LOG.info("Vault source: {}", settings);
    this.listener = listener;
    // Registered here, not in the constructor: a reloader without this source shows none of them.
    this.metrics = new VaultMetrics(registry);
    try {
      client = new VaultClient(settings);
    } catch (VaultFailure failure) {
      throw new IllegalStateException("the Vault source cannot start: " + failure.getMessage());
    }
    Instant deadline = clock.instant().plus(settings.startTimeout());
    while (true) {
      if (closed) {
        throw new IllegalStateException("the Vault source was closed while starting");
      }
      Instant seenAt = clock.instant();
      try {
        publish(read(), seenAt, true);
        recovered();
        break;
      } catch (VaultFailure failure) {
        failed(failure);
        boolean retry = failure.reason().isTransient() && clock.instant().isBefore(deadline);
        if (!retry) {
          if (failure.reason().isTransient() && servePreviousRender()) {
            break;
          }
          close();
          throw new IllegalStateException(
              "the Vault source cannot render "
                  + settings.kvPath()
                  + ": "
                  + failure.getMessage()
                  + hint(failure.reason()));
        }
        // Blocking here is the point: start() returns when the secret is in place.
        wait(nextBackoff().toMillis());
      }
    }
    pollAt = clock.instant().plus(jittered(settings.pollInterval()));
    started = true;
    if (ownThread) {
      loop.start(this::step);
    }
  }

  /**
   * One round of the source's thread: renews the token if that is due, checks the secret if that is
   * due; returns how long until the next is due.
   */
  synchronized Duration step() {
    if (closed) {
      return Duration.ofSeconds(1);
    }
    Instant now = clock.instant();
    if (renewAt != null && !now.isBefore(renewAt)) {
      renew();
    }
    if (!now.isBefore(pollAt)) {
      poll();
    }
    loop.heartbeat().beat();
    Instant next = renewAt != null && renewAt.isBefore(pollAt) ? renewAt : pollAt;
    Duration wait = Duration.between(clock.instant(), next);
    return wait.isNegative() ? Duration.ZERO : wait;
  }

  @Override
  public Optional<String> problem() {
    VaultFailure failure = lastFailure;
    if (closed || failure == null) {
      return Optional.empty();
    }
    return loop.problem()
        .map(
            p ->
                "Vault is "
                    + p
                    + "; the app keeps the secret version "
                    + servedRevision
                    + " rendered before");
  }

  @Override
  public void reloaded(SourceChange change, ReloadOutcome outcome) {
    if (outcome.result() == ReloadOutcome.Result.APPLIED) {
      LOG.info("the app applied Vault secret version {}", change.revision());
    } else {
      LOG.warn(
          "Vault secret version {} was not applied ({}): {}",
          change.revision(),
          outcome.result(),
          outcome.message());
    }
  }

  @Override
  public void close() {
    closed = true;
    loop.close();
  }

  /** One poll: a new version is rendered and reported; a failure keeps what is rendered. */
  private void poll() {
    Duration next;
    Instant seenAt = clock.instant();
    try {
      Secret secret = readIfChanged();
      if (secret != null) {
        publish(secret, seenAt, false);
      }
      recovered();
      next = jittered(settings.pollInterval());
    } catch (VaultFailure failure) {
      failed(failure);
      next = nextBackoff();
    } catch (RuntimeException | Error e) {
      // Never let the loop die (an Error would end the schedule silently). Only the type is
      // logged: a message might quote content.
      LOG.error("the Vault source's poll failed unexpectedly ({}); retrying", e.getClass());
      next = nextBackoff();
    }
    pollAt = clock.instant().plus(next);
  }

  /** The secret when it differs from what was rendered (KV v2: by version), else null. */
  private Secret readIfChanged() throws VaultFailure {
    if (settings.kvVersion() == 2) {
      int current = withToken(client::currentVersion);
      if (current == renderedVersion) {
        return null;
      }
      LOG.info(
          "Vault secret {} has version {} (rendered: {})",
          settings.kvPath(),
          current,
          renderedVersion);
    }
    return read();
  }

  private Secret read() throws VaultFailure {
    return settings.kvVersion() == 2 ? withToken(client::readV2) : withToken(client::readV1);
  }

  private void publish(Secret secret, Instant seenAt, boolean always) throws VaultFailure {
    byte[] content = SecretProperties.render(settings.kvPath(), secret.data());
    String hash = sha256(content);
    if (!always && hash.equals(renderedHash)) {
      renderedVersion = secret.version();
      if (settings.kvVersion() == 2) {
        LOG.info("Vault secret version {} has the content already rendered", secret.version());
      }
      return;
    }
    Path dir = settings.secretsDir();
    DirSnapshot snapshot;
    try {
      KubeletVolume.write(dir, Map.of(settings.file(), content), settings.filePermissions());
      snapshot = KubeletVolume.read(dir);
    } catch (IOException e) {
      throw new VaultFailure(
          Reason.RENDER,
          0,
          "cannot render into " + dir + " (" + e.getClass().getSimpleName() + ")");
    }
    renderedVersion = secret.version();
    renderedHash = hash;
    String revision =
        settings.kvVersion() == 2 ? String.valueOf(secret.version()) : hash.substring(0, 16);
    servedRevision = revision;
    metrics.rendered(secret.version());
    LOG.info(
        "rendered Vault secret {} version {} ({} keys) into {}",
        settings.kvPath(),
        revision,
        secret.data().size(),
        dir.resolve(settings.file()));
    report(new SourceChange(NAME, snapshot, seenAt, revision));
  }

  /** At start-up with Vault unreachable: the secret rendered by an earlier run, if there is one. */
  private boolean servePreviousRender() {
    try {
      DirSnapshot previous = KubeletVolume.read(settings.secretsDir());
      Optional<ConfigFile> file =
          previous.files().stream().filter(f -> f.name().equals(settings.file())).findFirst();
      if (file.isEmpty()) {
        return false;
      }
      renderedHash = sha256(file.get().content());
      servedRevision = "rendered before the start";
      LOG.warn(
          "Vault is unavailable; serving the secret rendered earlier into {} and retrying",
          settings.secretsDir());
      report(new SourceChange(NAME, previous, clock.instant(), ""));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void report(SourceChange change) {
    try {
      listener.changed(change);
    } catch (RuntimeException e) {
      LOG.error(
          "the reload pipeline failed on Vault secret {} ({})", change.revision(), e.getClass());
    }
  }

  @FunctionalInterface
  private interface TokenCall<T> {
    T call(String token) throws VaultFailure;
  }

  /** Runs a call with the current token; a denied token leads to one new login and one retry. */
  private <T> T withToken(TokenCall<T> call) throws VaultFailure {
    if (lease == null) {
      authenticate();
    }
    try {
      return call.call(lease.token());
    } catch (VaultFailure failure) {
      if (failure.reason() != Reason.DENIED) {
        throw failure;
      }
      metrics.error(failure.reason());
      LOG.warn("{}; logging in again", failure.getMessage());
      lease = null;
      authenticate();
      return call.call(lease.token());
    }
  }

  /** Kubernetes auth: a new login. Token auth: the token (file re-read) and its TTL. */
  private void authenticate() throws VaultFailure {
    if (settings.kubernetesAuth()) {
      String jwt = readCredential(settings.jwtFile(), "RELOADER_VAULT_JWT_FILE");
      lease = client.loginByKubernetes(jwt);
      metrics.login();
      LOG.info(
          "logged in to Vault as role {} (token TTL {}s, renewable: {})",
          settings.role(),
          lease.ttl().toSeconds(),
          lease.renewable());
    } else {
      String token =
          settings.tokenFile() != null
              ? readCredential(settings.tokenFile(), "RELOADER_VAULT_TOKEN_FILE")
              : settings.tokenOrNull();
      lease = client.lookupSelf(token);
      LOG.info(
          "using the Vault token given (TTL {}s, renewable: {})",
          lease.ttl().toSeconds(),
          lease.renewable());
    }
    loginTtl = lease.ttl();
    scheduleRenewal();
  }

  /** The token's renewal at two thirds of its TTL (jittered); none for a token that cannot. */
  private void scheduleRenewal() {
    renewAt =
        lease.renewable() && lease.ttl().toMillis() > 0
            ? clock.instant().plus(jittered(lease.ttl().multipliedBy(2).dividedBy(3)))
            : null;
  }

  /** Renews the token; when Vault will not, logs in again. */
  private void renew() {
    if (lease == null) {
      renewAt = null;
      return;
    }
    try {
      try {
        lease = client.renewSelf(lease.token());
        metrics.renewal();
        LOG.debug("renewed the Vault token (TTL {}s)", lease.ttl().toSeconds());
        if (settings.kubernetesAuth() && lease.ttl().compareTo(loginTtl.dividedBy(2)) < 0) {
          LOG.info("the Vault token nears its max TTL; logging in again");
          authenticate();
        } else {
          scheduleRenewal();
        }
      } catch (VaultFailure failure) {
        if (failure.reason().isTransient()) {
          throw failure;
        }
        LOG.warn("{}; logging in again", failure.getMessage());
        lease = null;
        authenticate();
      }
    } catch (VaultFailure failure) {
      failed(failure);
      renewAt = clock.instant().plus(nextBackoff());
    } catch (RuntimeException | Error e) {
      LOG.error("renewing the Vault token failed unexpectedly ({}); retrying", e.getClass());
      renewAt = clock.instant().plus(nextBackoff());
    }
  }

  private static String readCredential(Path file, String setting) throws VaultFailure {
    String value;
    try {
      value = Files.readString(file).strip();
    } catch (IOException e) {
      throw new VaultFailure(
          Reason.CREDENTIALS,
          0,
          "cannot read " + file + " (" + setting + "): " + e.getClass().getSimpleName());
    }
    if (value.isEmpty()) {
      throw new VaultFailure(Reason.CREDENTIALS, 0, file + " (" + setting + ") is empty");
    }
    return value;
  }

  private void failed(VaultFailure failure) {
    if (closed) {
      return; // a call cut short by close() is no failure of Vault
    }
    metrics.error(failure.reason());
    lastFailure = failure;
    loop.failed(failure.reason().label() + ": " + failure.getMessage());
  }

  private void recovered() {
    loop.succeeded();
    lastFailure = null;
  }

  private Duration nextBackoff() {
    return loop.retryWait();
  }

  /** The duration give or take 10%. */
  private static Duration jittered(Duration duration) {
    double factor = 0.9 + 0.2 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (duration.toMillis() * factor)));
  }

  private String hint(Reason reason) {
    return switch (reason) {
      case DENIED ->
          settings.kubernetesAuth()
              ? ". Check that role "
                  + settings.role()
                  + " may log in from this service account and that its policies allow read on "
                  + readPaths()
              : ". Check that the token is valid and its policies allow read on " + readPaths();
      case NOT_FOUND ->
          ". Check RELOADER_VAULT_PATH (the mount included, as `vault kv get` takes"
              + " it), RELOADER_VAULT_KV_VERSION and VAULT_NAMESPACE";
      case BAD_REQUEST -> ". Check RELOADER_VAULT_ROLE and RELOADER_VAULT_AUTH_MOUNT";
      case CREDENTIALS -> ". Mount the file or fix its path";
      case SEALED -> ". Unseal Vault; the reloader retried for RELOADER_VAULT_START_TIMEOUT";
      default ->
          ". Check VAULT_ADDR and the network path to Vault; the reloader retried for"
              + " RELOADER_VAULT_START_TIMEOUT";
    };
  }

  private String readPaths() {
    return settings.kvVersion() == 2
        ? settings.mountName()
            + "/data/"
            + settings.secretName()
            + " and "
            + settings.mountName()
            + "/metadata/"
            + settings.secretName()
        : settings.kvPath();
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
