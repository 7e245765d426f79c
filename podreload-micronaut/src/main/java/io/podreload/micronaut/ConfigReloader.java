package io.podreload.micronaut;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.runtime.context.scope.refresh.RefreshEvent;
import io.podreload.common.DirSnapshot;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.micronaut.ConfigLoader.ConfigLoadException;
import io.podreload.micronaut.SettingsBinder.InvalidConfigException;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Loads the config at start and again on every SIGHUP: read every dir, parse, merge, bind and
 * validate a candidate; swap it in whole if valid, else keep serving the last good config; then
 * acknowledge the attempt in the status file.
 *
 * <p>Reloads run one at a time, on the thread the JVM starts for the signal (handing it to another
 * thread costs a wake-up on the signal's path). A signal that arrives while a reload runs causes
 * exactly one more reload after it, run by the thread already reloading: signals may be coalesced
 * but never lost.
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Context
public final class ConfigReloader {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);
  private static final String CHANGED = "(changed)";

  /**
   * How long after a swap Micronaut's environment starts to follow it. Its re-index and the {@code
   * RefreshEvent} cost a few milliseconds of CPU per reload (Micronaut's Netty server rebuilds its
   * pipeline factory on every such event), which would otherwise compete with the first requests
   * that serve the new config; the served settings do not wait for it.
   */
  static final Duration FOLLOW_DELAY = Duration.ofMillis(5);

  private final PodreloadSettings settings;
  private final ConfigLoader loader;
  private final SettingsBinder binder;
  private final List<ConfigValidator> validators;
  private final ApplicationEventPublisher<RefreshEvent> refreshPublisher;
  private final Counter applied;
  private final Counter rejected;
  private final long pid = ProcessHandle.current().pid();

  private final AtomicReference<ActiveConfig> active = new AtomicReference<>();
  private final AtomicReference<LastAttempt> lastAttempt = new AtomicReference<>();
  private final AtomicBoolean reloadPending = new AtomicBoolean();
  private final AtomicBoolean reloading = new AtomicBoolean();

  /** When the oldest reload request not yet started came ({@link System#nanoTime()}); 0: none. */
  private final AtomicLong requestedSince = new AtomicLong();

  private volatile boolean closed;

  // Touched only by the thread that loads (start-up, then the reload thread).
  private long attempts;
  private final ReloadStages stages;

  /** Micronaut's view of the config: brought along after each swap, on its own thread. */
  private final MountedEnvironment mountedEnvironment;

  private final AtomicReference<ConfigSet> toFollow = new AtomicReference<>();
  private final ScheduledExecutorService follower =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "podreload-environment");
            thread.setDaemon(true);
            return thread;
          });
  private final Duration followDelay;
  private volatile double lastDurationSeconds;
  private volatile String statusFileProblem;

  @Inject
  public ConfigReloader(
      PodreloadSettings settings,
      SettingsBinder binder,
      List<ConfigValidator> validators,
      Environment environment,
      ApplicationEventPublisher<RefreshEvent> refreshPublisher,
      MeterRegistry metrics) {
    this(settings, binder, validators, environment, refreshPublisher, metrics, FOLLOW_DELAY);
  }

  /** With another delay before Micronaut's environment follows a swap (tests). */
  ConfigReloader(
      PodreloadSettings settings,
      SettingsBinder binder,
      List<ConfigValidator> validators,
      Environment environment,
      ApplicationEventPublisher<RefreshEvent> refreshPublisher,
      MeterRegistry metrics,
      Duration followDelay) {
    this.followDelay = followDelay;
    this.settings = settings;
    this.loader = new ConfigLoader(settings);
    this.binder = binder;
    this.validators = List.copyOf(validators);
    this.mountedEnvironment = new MountedEnvironment(environment);
    this.stages = new ReloadStages(metrics);
    this.refreshPublisher = refreshPublisher;
    this.applied = metrics.counter("app.reloads", "result", ReloadStatus.APPLIED);
    this.rejected = metrics.counter("app.reloads", "result", ReloadStatus.REJECTED);
    Gauge.builder(
            "app.config.generation", this, r -> r.current() == null ? 0 : r.current().generation())
        .description("Loads applied by this process")
        .register(metrics);
    Gauge.builder("app.reload.last.duration", this, r -> r.lastDurationSeconds)
        .baseUnit("seconds")
        .description("Duration of the last load attempt")
        .register(metrics);
    // The handler first: a process that has written its first status catches SIGHUP, which is
    // what the reloader waits for before it signals a new pid (a JVM without this handler dies).
    if (Signal.handle(new Signal("HUP"), signal -> requestReload()) == SignalHandler.SIG_IGN) {
      // The JVM installs no handler for a signal its process started with ignored: every SIGHUP
      // would be dropped without a word, and the app would serve its first config forever.
      throw new IllegalStateException(
          "SIGHUP is ignored in this process (started under nohup, or by a parent that ignores"
              + " it), so no reload could ever arrive: start the app with SIGHUP at its default"
              + " (without nohup; setsid detaches it from a terminal instead)");
    }
    load(System.nanoTime());
    LOG.info(
        "config dirs {} (secret: {}); reloads on SIGHUP; status file {}",
        settings.configDirs(),
        settings.secretDirs(),
        settings.statusFile());
  }

  /** The config being served; null until the first valid config (the app is not ready then). */
  public ActiveConfig current() {
    return active.get();
  }

  /**
   * The served instance of one of the host's {@code @ConfigurationProperties} types; empty until
   * the first valid config.
   */
  public <T> Optional<T> current(Class<T> type) {
    ActiveConfig served = active.get();
    return served == null ? Optional.empty() : served.settings(type);
  }

  /** The last load attempt, applied or rejected. */
  public LastAttempt lastAttempt() {
    return lastAttempt.get();
  }

  /** Why the status file could not be written, if it could not. */
  public Optional<String> statusFileProblem() {
    return Optional.ofNullable(statusFileProblem);
  }

  /**
   * Reloads on the calling thread (the SIGHUP handler's), or, when another thread is reloading,
   * leaves it one more reload to do and returns at once.
   */
  public void requestReload() {
    requestedSince.compareAndSet(0, System.nanoTime());
    reloadPending.set(true);
    // The re-check after releasing: a request that came in between the last reload and the
    // release found the flag taken, and is served here.
    while (reloadPending.get() && !closed && reloading.compareAndSet(false, true)) {
      try {
        while (reloadPending.getAndSet(false) && !closed) {
          long since = requestedSince.getAndSet(0);
          load(since == 0 ? System.nanoTime() : since); // a signal from now on queues one more
        }
      } finally {
        reloading.set(false);
      }
    }
  }

  /** No reload starts from now on; waits for the one in progress. */
  @PreDestroy
  synchronized void close() {
    closed = true;
    follower.shutdownNow();
  }

  private synchronized void load(long requestedAt) {
    long started = System.nanoTime();
    stages.begin(requestedAt);
    attempts++;
    LOG.debug("load attempt {}: reading {}", attempts, settings.configDirs());
    List<DirSnapshot> snapshots = List.of();
    try {
      snapshots = loader.read();
      stages.lap("read");
      ConfigSet candidate = loader.merge(snapshots);
      stages.lap("parse");
      Map<Class<?>, Object> bound =
          binder.bind(candidate.properties(), mountedEnvironment.otherSources());
      stages.lap("bind");
      veto(new ConfigCandidate(candidate.properties(), bound));
      stages.lap("validate");
      ActiveConfig previous = swap(candidate, bound);
      stages.lap("swap");
      applied.increment();
      finish(started, ReloadStatus.APPLIED, null, candidate.sources());
      stages.lap("ack");
      if (previous == null) {
        // The first config: Micronaut has it before the rest of the host's beans are created.
        followEnvironment(candidate);
      } else {
        // Requests and the reloader see the new config without waiting for Micronaut to
        // re-index its properties and rebuild @Refreshable beans, and nor does the next reload;
        // the first requests on the new config are served before that work takes a core.
        toFollow.set(candidate);
        try {
          follower.schedule(this::followLatest, followDelay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          // shutting down: nothing follows any more
        }
      }
    } catch (ConfigLoadException | InvalidConfigException | RuntimeException e) {
      reject(started, e.getMessage() == null ? e.toString() : e.getMessage(), snapshots);
    } catch (Error e) {
      // What no check foresaw (a stack overflow in a parser or a validator): the attempt is
      // rejected like any other and the reload thread lives on. (Out of memory exits the JVM:
      // jvm.options has -XX:+ExitOnOutOfMemoryError.)
      LOG.error("load attempt {} failed with {}", attempts, e.toString(), e);
      reject(started, "the config could not be loaded: " + e, snapshots);
    }
    stages.record();
    if (LOG.isDebugEnabled()) {
      LOG.debug("load attempt {}: {}", attempts, stages.summary());
    }
  }

  /** The last good config keeps serving; before the first one, nothing does (not ready). */
  private void reject(long started, String error, List<DirSnapshot> snapshots) {
    rejected.increment();
    finish(started, ReloadStatus.REJECTED, error, ConfigSet.sourcesOf(snapshots));
  }

  /** The host's own checks: any problem rejects the candidate. */
  private void veto(ConfigCandidate candidate) throws InvalidConfigException {
    List<String> problems = new ArrayList<>();
    for (ConfigValidator validator : validators) {
      problems.addAll(validator.problems(candidate));
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
  }

  /** Serves the candidate from now on; returns the config it replaced (null at start). */
  private ActiveConfig swap(ConfigSet candidate, Map<Class<?>, Object> bound) {
    ActiveConfig previous = active.get();
    long generation = previous == null ? 1 : previous.generation() + 1;
    active.set(new ActiveConfig(bound, candidate, generation, Instant.now()));
    return previous;
  }

  /** On the follower thread: the newest applied config not yet followed, if any. */
  private void followLatest() {
    ConfigSet latest = toFollow.getAndSet(null);
    if (latest != null) {
      followEnvironment(latest);
    }
  }

  /**
   * Micronaut's own view of the config, so that @Refreshable beans and logger levels follow: its
   * property index updated for the keys that changed since the config it followed last, then a
   * {@link RefreshEvent} naming them. Runs on one thread at a time: the first load's, then the
   * follower's.
   */
  private void followEnvironment(ConfigSet config) {
    try {
      long started = System.nanoTime();
      long startedCpu = ReloadStages.cpuTime();
      MountedEnvironment.Sync sync = mountedEnvironment.follow(config.properties());
      long indexed = System.nanoTime();
      long indexedCpu = ReloadStages.cpuTime();
      stages.record("environment", indexed - started);
      if (!sync.first() && !sync.changedKeys().isEmpty()) {
        refreshPublisher.publishEvent(new RefreshEvent(changedKeys(sync.changedKeys())));
        stages.record("refresh-event", System.nanoTime() - indexed);
      }
      if (LOG.isDebugEnabled()) {
        LOG.debug(
            "Micronaut's environment follows version {}: {} keys changed, {} indexed {}:"
                + " environment {} ms (cpu {} ms), refresh-event {} ms (cpu {} ms)",
            config.version(),
            sync.changedKeys().size(),
            sync.keysIndexed(),
            sync.fullRefresh() ? "by a full refresh" : "in place",
            String.format("%.2f", (indexed - started) / 1e6),
            String.format("%.2f", (indexedCpu - startedCpu) / 1e6),
            String.format("%.2f", (System.nanoTime() - indexed) / 1e6),
            String.format("%.2f", (ReloadStages.cpuTime() - indexedCpu) / 1e6));
      }
    } catch (RuntimeException e) {
      // The app's own settings are already served; only Micronaut's extras (logger levels,
      // @Refreshable beans) lag until the next reload.
      LOG.warn(
          "version {} is served, but Micronaut's environment could not follow it: {}",
          config.version(),
          e.toString());
    }
  }

  /**
   * The event's map: its listeners use only the keys; the values are left out, because Micronaut
   * logs the event (with them) at debug level and some are secrets.
   */
  private static Map<String, Object> changedKeys(List<String> keys) {
    Map<String, Object> changed = new HashMap<>(keys.size() * 2);
    keys.forEach(key -> changed.put(key, CHANGED));
    return changed;
  }

  private void finish(long started, String result, String error, Map<String, String> sources) {
    lastDurationSeconds = (System.nanoTime() - started) / 1e9;
    ActiveConfig serving = active.get(); // null while no config was ever valid
    long generation = serving == null ? 0 : serving.generation();
    String version = serving == null ? null : serving.configSet().version();
    Instant at = Instant.now();
    lastAttempt.set(new LastAttempt(result, error, at));
    ReloadStatus status =
        new ReloadStatus(pid, generation, version, result, error, at.toString(), attempts, sources);
    writeStatus(status); // the acknowledgement first: the reloader is waiting for it
    if (error == null) {
      LOG.info(
          "config applied: generation {}, version {}, {} properties, in {} ms",
          generation,
          version,
          serving.configSet().properties().size(),
          // not String.format: its first calls cost a fifth of a millisecond on the reload thread
          Math.round(lastDurationSeconds * 10_000) / 10.0);
    } else if (serving == null) {
      LOG.warn("config rejected, no valid config yet: not ready until one is loaded: {}", error);
    } else {
      LOG.warn(
          "config rejected, still serving generation {} (version {}): {}",
          generation,
          version,
          error);
    }
  }

  private void writeStatus(ReloadStatus status) {
    try {
      StatusFile.write(settings.statusFile(), status);
      if (statusFileProblem != null) {
        LOG.info("status file {} is writable again", settings.statusFile());
        statusFileProblem = null;
      }
    } catch (IOException | RuntimeException e) {
      String problem =
          "cannot write the status file "
              + settings.statusFile()
              + " ("
              + e
              + "): the reloader cannot confirm reloads; give the app a writable dir there"
              + " (an emptyDir at /run/app)";
      if (!problem.equals(statusFileProblem)) {
        LOG.warn(problem);
      }
      statusFileProblem = problem;
    }
  }

  /**
   * The outcome of the last load attempt.
   *
   * @param result {@code applied} or {@code rejected}
   * @param error why it was rejected; null when applied
   * @param at when it ended
   */
  public record LastAttempt(String result, String error, Instant at) {}
}
