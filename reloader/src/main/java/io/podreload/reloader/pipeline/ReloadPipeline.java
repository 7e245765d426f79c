package io.podreload.reloader.pipeline;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParseException;
import io.podreload.common.ConfigParser;
import io.podreload.common.Heartbeat;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.signal.ProcessTable;
import io.podreload.reloader.signal.ReloadTrigger;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.ReloadOutcome.Result;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline for every source: validate the new content, trigger the app's reload, confirm it in
 * the status file. Single flight: one reload at a time; changes seen meanwhile wait, the latest per
 * dir, and go together into one follow-up. A change is never dropped: when the app cannot be
 * signalled or does not answer, the same change is retried with backoff until it is applied,
 * rejected, or replaced by a newer one.
 */
public final class ReloadPipeline implements SnapshotListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadPipeline.class);
  private static final Duration FIRST_RETRY = Duration.ofMillis(250);
  private static final Duration STARTING_POLL = Duration.ofMillis(100);

  private final ReloaderSettings settings;
  private final ReloadTrigger trigger;
  private final ReloaderMetrics metrics;
  private final Map<String, ConfigSource> sources;
  private final Clock clock;
  private final ProcessTable processes;
  private final StatusFile.Reader statusReader;
  private final Thread worker;
  private final Heartbeat heartbeat;

  // Guarded by this.
  private final Map<String, SourceChange> pending = new LinkedHashMap<>();
  private Instant retryAt = Instant.MIN;
  private boolean closed;

  // Only touched by the worker thread.
  private final Map<String, SourceChange> latest = new LinkedHashMap<>();
  private Duration retryDelay = FIRST_RETRY;
  private TriggerException.Reason lastSignalError;
  private Instant nextTargetCheck = Instant.MIN;
  private boolean reloadedSinceCollection;
  private long acknowledgedPid = -1;

  /** The acknowledged process: its pid and start time, the only process signalled. */
  private ReloadTrigger.Acknowledged acknowledged;

  private Instant startingSince;
  private boolean startingSlowReported;

  // Read by health checks.
  private volatile Instant targetMissingSince;
  private volatile String invalidConfig;
  private volatile String lastFailure;

  public ReloadPipeline(
      ReloaderSettings settings,
      ReloadTrigger trigger,
      ReloaderMetrics metrics,
      Collection<ConfigSource> sources,
      Clock clock) {
    this.settings = settings;
    this.trigger = trigger;
    this.metrics = metrics;
    this.sources = new LinkedHashMap<>();
    sources.forEach(source -> this.sources.put(source.name(), source));
    this.clock = clock;
    this.processes = new ProcessTable(settings.procRoot());
    this.statusReader = new StatusFile.Reader(settings.statusFile());
    // Idle, it wakes every rehash interval; a reload waits at most confirm-timeout for the ack.
    this.heartbeat =
        new Heartbeat(
            "reload-pipeline",
            settings.rehashInterval().plus(settings.confirmTimeout()).multipliedBy(3),
            clock);
    this.worker = new Thread(this::run, "reload-pipeline");
    worker.setDaemon(true);
  }

  public void start() {
    worker.start();
  }

  @Override
  public synchronized void changed(SourceChange change) {
    metrics.watchEvent(change.source());
    pending.put(change.snapshot().key(), change);
    retryAt = Instant.MIN; // new content: try now, whatever failed before
    notifyAll();
  }

  /** Why the app may be running stale config, if it may: for {@code /health}. */
  public Optional<String> problem() {
    Instant since = targetMissingSince;
    if (since != null && since.plus(settings.targetMissingAfter()).isBefore(clock.instant())) {
      return Optional.of(
          "the app has been missing since "
              + since
              + ": "
              + Optional.ofNullable(lastFailure).orElse(""));
    }
    return Optional.empty();
  }

  /** The last change that does not parse, if the latest content of some dir does not. */
  public Optional<String> invalidConfig() {
    return Optional.ofNullable(invalidConfig);
  }

  /** The last failure to signal or confirm, cleared by the next success. */
  public Optional<String> lastFailure() {
    return Optional.ofNullable(lastFailure);
  }

  @Override
  public synchronized void close() {
    closed = true;
    notifyAll();
  }

  private void run() {
    try {
      loop();
    } catch (RuntimeException | Error e) {
      heartbeat.dead(e.getClass().getName());
      LOG.error("the reload pipeline stopped: {}", e.getClass().getName(), e);
      return;
    }
    heartbeat.dead("closed");
  }

  /** The pipeline thread's sign of life, for {@code /health/liveness}. */
  public Heartbeat heartbeat() {
    return heartbeat;
  }

  private void loop() {
    while (true) {
      List<SourceChange> batch;
      try {
        batch = nextBatch();
      } catch (InterruptedException e) {
        return;
      }
      if (batch == null) {
        return;
      }
      try {
        if (batch.isEmpty()) {
          checkTarget();
          giveBackHeap();
        } else {
          reload(batch);
          reloadedSinceCollection = true;
        }
      } catch (RuntimeException | Error e) {
        // Never let the loop die unseen: an Error (a parser's stack overflow, say) is a failed
        // attempt like any other; the batch is retried and the next edit is applied. Only the
        // type is logged: a message may quote config.
        LOG.error("reload failed unexpectedly; retrying: {}", e.getClass().getName());
        LOG.debug("the failure's stack", e);
        lastFailure = "reload failed unexpectedly: " + e.getClass().getName();
        requeue(batch);
      }
      heartbeat.beat();
    }
  }

  /**
   * On the first quiet tick after reloads, one full collection: the heap that a burst grew (a large
   * ConfigMap, many reloads) shrinks back and is returned to the system, which the serial collector
   * does only after a full collection (jvm.options sets how much free heap it keeps). Without it
   * the reloader would stay at its peak size until the old generation fills up.
   */
  private void giveBackHeap() {
    if (reloadedSinceCollection) {
      reloadedSinceCollection = false;
      System.gc();
    }
  }

  /** The pending changes once there are some and no retry is due later; empty on an idle tick. */
  private synchronized List<SourceChange> nextBatch() throws InterruptedException {
    long idleMillis = settings.rehashInterval().toMillis();
    while (!closed) {
      Instant now = clock.instant();
      if (!pending.isEmpty() && !now.isBefore(retryAt)) {
        List<SourceChange> batch = new ArrayList<>(pending.values());
        pending.clear();
        return batch;
      }
      long wait = pending.isEmpty() ? idleMillis : Duration.between(now, retryAt).toMillis();
      if (pending.isEmpty() && !now.isBefore(nextTargetCheck)) {
        nextTargetCheck = now.plus(settings.rehashInterval());
        return List.of();
      }
      heartbeat.beat();
      wait(Math.max(1, wait));
    }
    return null;
  }

  private synchronized void requeue(List<SourceChange> batch) {
    for (SourceChange change : batch) {
      pending.putIfAbsent(change.snapshot().key(), change); // a newer change wins
    }
    retryAt = clock.instant().plus(retryDelay);
    retryDelay = min(retryDelay.multipliedBy(2), settings.retryMax());
  }

  /** Retries after a short wait, without growing the backoff: the app is merely starting. */
  private synchronized void requeueSoon(List<SourceChange> batch) {
    for (SourceChange change : batch) {
      pending.putIfAbsent(change.snapshot().key(), change);
    }
    retryAt = clock.instant().plus(STARTING_POLL);
  }

  /**
   * Whether the status file was written by one of these processes, since it started. Its start time
   * is kept: the trigger signals only a process started then. Fails closed: a start time that
   * cannot be read is no acknowledgement.
   */
  private boolean acknowledgedByATarget(Optional<ReloadStatus> status, List<Long> targets) {
    if (status.isEmpty() || !targets.contains(status.get().pid())) {
      return false;
    }
    long pid = status.get().pid();
    if (pid == acknowledgedPid) {
      // Checked once for this process; the trigger checks its start time again before a signal.
      return true;
    }
    Optional<Instant> started = processes.startedAt(pid);
    if (started.isEmpty()) {
      lastFailure = "cannot read the start time of pid " + pid + " in /proc: not signalling it";
      return false;
    }
    try {
      boolean ack = !Instant.parse(status.get().at()).isBefore(started.get());
      if (ack) {
        acknowledgedPid = pid;
        acknowledged = new ReloadTrigger.Acknowledged(pid, started.get());
      }
      return ack;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private synchronized boolean hasNewer(String key) {
    return pending.containsKey(key);
  }

  private void reload(List<SourceChange> batch) {
    batch.forEach(change -> latest.put(change.snapshot().key(), change));
    String invalid = validate(latest.values());
    if (invalid != null) {
      invalidConfig = invalid;
      metrics.validationFailure();
      LOG.warn("not signalling the app: {}; it keeps its last good config", invalid);
      finish(batch, new ReloadOutcome(Result.INVALID, invalid), null);
      return;
    }
    invalidConfig = null;

    Map<String, String> expected = expectedHashes(batch);
    Optional<ReloadStatus> before = readStatus();
    if (before.isPresent() && isAlive(before.get().pid()) && reports(before.get(), expected)) {
      // A (restarted) app already loaded exactly this content: nothing to signal.
      LOG.info("the app (pid {}) already loaded this content", before.get().pid());
      confirmed(batch, before.get());
      return;
    }

    List<Long> targets = trigger.targets();
    if (!acknowledgedByATarget(before, targets) && !targets.isEmpty()) {
      // A new app process that has not written its first status yet: it is starting, reads the
      // current content by itself, and may not catch the signal yet (a JVM's default handler
      // makes SigCgt show SIGHUP as caught even then, and the signal would kill it).
      Instant now = clock.instant();
      if (startingSince == null) {
        LOG.info("the app (pid {}) is starting; waiting for its first acknowledgement", targets);
        startingSince = now;
      } else if (!startingSlowReported
          && startingSince.plus(settings.confirmTimeout()).isBefore(now)) {
        lastFailure =
            "the app (pid "
                + targets
                + ") has not written "
                + settings.statusFile()
                + " since it started; is APP_STATUS_FILE the same file as RELOADER_STATUS_FILE?";
        LOG.warn(lastFailure);
        startingSlowReported = true;
      }
      requeueSoon(batch);
      return;
    }
    startingSince = null;
    startingSlowReported = false;

    List<Long> pids;
    try {
      pids = trigger.trigger(acknowledgedByATarget(before, targets) ? acknowledged : null);
    } catch (TriggerException e) {
      signalFailed(batch, e);
      return;
    }
    targetMissingSince = null;
    lastSignalError = null;
    metrics.targetPid(pids.get(0));
    if (settings.dryRun()) {
      LOG.info("dry run: not waiting for the app to confirm");
      return;
    }
    metrics.signalSent(pids.size());
    LOG.debug("sent SIG{} to {} for {}", settings.signal(), pids, describe(batch));

    Optional<ReloadStatus> ack = awaitAck(before, expected);
    if (ack.isEmpty()) {
      String message =
          "the app (pid "
              + pids
              + ") did not acknowledge within "
              + settings.confirmTimeout().toMillis()
              + " ms in "
              + settings.statusFile()
              + "; retrying (is APP_STATUS_FILE the same file as RELOADER_STATUS_FILE?)";
      lastFailure = message;
      LOG.warn(message);
      finish(batch, new ReloadOutcome(Result.SIGNAL_FAILED, message), null);
      requeue(batch);
      return;
    }
    if (!reports(ack.get(), expected)) {
      // Superseded: the app read newer content than this batch; its change is pending.
      LOG.debug("the app loaded newer content than {}; following up", describe(batch));
      return;
    }
    confirmed(batch, ack.get());
  }

  private void confirmed(List<SourceChange> batch, ReloadStatus status) {
    retryDelay = FIRST_RETRY;
    lastFailure = null;
    Instant now = clock.instant();
    if (status.applied()) {
      LOG.info(
          "reload applied: {} (pid {}, generation {}, version {}) in {} ms",
          describe(batch),
          status.pid(),
          status.generation(),
          status.version(),
          Duration.between(earliest(batch), now).toMillis());
      finish(batch, new ReloadOutcome(Result.APPLIED, null), now);
    } else {
      LOG.warn(
          "reload rejected by the app (pid {}), which keeps its last good config: {}",
          status.pid(),
          status.error());
      finish(batch, new ReloadOutcome(Result.REJECTED, status.error()), now);
    }
  }

  private void signalFailed(List<SourceChange> batch, TriggerException e) {
    if (e.reason() == TriggerException.Reason.NO_TARGET && targetMissingSince == null) {
      targetMissingSince = clock.instant();
    }
    metrics.signalError(e.reason());
    metrics.targetPid(0);
    lastFailure = e.getMessage();
    if (e.reason() != lastSignalError) { // one line per kind of trouble, not one per retry
      LOG.warn("cannot signal the app, will retry: {}", e.getMessage());
      lastSignalError = e.reason();
      finish(batch, new ReloadOutcome(Result.SIGNAL_FAILED, e.getMessage()), null);
    }
    requeue(batch);
  }

  private void finish(List<SourceChange> batch, ReloadOutcome outcome, Instant ackAt) {
    metrics.reload(outcome.result());
    if (ackAt != null) {
      metrics.latency(Duration.between(earliest(batch), ackAt));
    }
    for (SourceChange change : batch) {
      ConfigSource source = sources.get(change.source());
      if (source != null) {
        try {
          source.reloaded(change, outcome);
        } catch (RuntimeException e) {
          LOG.warn("source {} failed to take the outcome: {}", change.source(), e.toString());
        }
      }
    }
  }

  /** Waits for an attempt newer than {@code before} that read this batch's content, or newer. */
  private Optional<ReloadStatus> awaitAck(
      Optional<ReloadStatus> before, Map<String, String> expected) {
    long start = System.nanoTime();
    long deadline = start + settings.confirmTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      Optional<ReloadStatus> status = readStatus();
      if (status.isPresent() && isNewer(status.get(), before)) {
        if (reports(status.get(), expected)
            || expected.keySet().stream().anyMatch(this::hasNewer)) {
          return status;
        }
      }
      // Poll fast while an answer is likely (a reload takes milliseconds), then calmly.
      long elapsed = System.nanoTime() - start;
      LockSupport.parkNanos(elapsed < 100_000_000 ? 500_000 : 10_000_000);
    }
    return Optional.empty();
  }

  private static boolean isNewer(ReloadStatus status, Optional<ReloadStatus> before) {
    return before.isEmpty()
        || status.pid() != before.get().pid()
        || status.attempt() > before.get().attempt();
  }

  private static boolean reports(ReloadStatus status, Map<String, String> expected) {
    return expected.entrySet().stream()
        .allMatch(
            e ->
                e.getValue() == null
                    ? !status.sources().containsKey(e.getKey())
                    : e.getValue().equals(status.sources().get(e.getKey())));
  }

  /**
   * Each dir of the batch and the content hash the app must report for it (null: the dir is
   * missing, so the app must not report it). Hashed once per batch, not on every status poll.
   */
  private static Map<String, String> expectedHashes(List<SourceChange> batch) {
    Map<String, String> expected = new LinkedHashMap<>();
    for (SourceChange c : batch) {
      expected.put(c.snapshot().key(), c.snapshot().present() ? c.snapshot().hash() : null);
    }
    return expected;
  }

  private Optional<ReloadStatus> readStatus() {
    try {
      return statusReader.read();
    } catch (IOException e) {
      LOG.debug("status file not readable yet: {}", e.getMessage());
      return Optional.empty();
    }
  }

  private boolean isAlive(long pid) {
    return Files.isDirectory(settings.procRoot().resolve(Long.toString(pid)));
  }

  /** Keeps {@code reloader_target_pid} and the missing-target clock current while idle. */
  private void checkTarget() {
    List<Long> targets = trigger.targets();
    if (targets.isEmpty()) {
      metrics.targetPid(0);
      if (targetMissingSince == null) {
        targetMissingSince = clock.instant();
      }
    } else {
      metrics.targetPid(targets.get(0));
      targetMissingSince = null;
    }
  }

  /** The first problem in the latest content of any dir, or null when all of it parses. */
  private boolean isSecret(Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    return settings.secretDirs().stream()
        .anyMatch(d -> absolute.startsWith(d.toAbsolutePath().normalize()));
  }

  private String validate(Collection<SourceChange> changes) {
    for (SourceChange change : changes) {
      Path dir = change.snapshot().dir();
      for (ConfigFile file : change.snapshot().files()) {
        try {
          ConfigParser.parse(file);
        } catch (ConfigParseException e) {
          // From a secret dir, the place only: the parser's message may quote the secret.
          return dir + "/" + (isSecret(dir) ? e.placeOnly() : e.getMessage());
        }
      }
    }
    return null;
  }

  private static Instant earliest(List<SourceChange> batch) {
    return batch.stream().map(SourceChange::seenAt).min(Instant::compareTo).orElseThrow();
  }

  private static String describe(List<SourceChange> batch) {
    List<String> parts = new ArrayList<>();
    for (SourceChange c : batch) {
      String revision = c.revision() == null || c.revision().isEmpty() ? "" : " " + c.revision();
      parts.add(
          c.source() + " " + c.snapshot().dir() + " (" + c.snapshot().hash() + revision + ")");
    }
    return String.join(", ", parts);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
