package io.podreload.reloader.pipeline;

import io.podreload.common.Heartbeat;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.pipeline.Reconciler.Triggered;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.source.VolumeSource;
import io.podreload.reloader.target.AppTarget;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcile loop. Sources put their changes in the {@link ChangeQueue}; one reload runs at a
 * time, and the changes seen meanwhile go together into one follow-up. A change is never dropped: a
 * batch that failed is retried with backoff until it is applied, rejected, or replaced by newer
 * content.
 *
 * <p>Who runs what: when no reload is under way, the thread that saw the change (a source's) runs
 * the {@link Reconciler#trigger} half itself, so nothing is handed between threads on the way to
 * the signal; the pipeline's own thread then waits for the app's answer ({@link
 * Reconciler#confirm}), so the source goes back to watching at once. Changes that arrive during a
 * reload, retries and idle ticks run wholly on the pipeline's thread. Nothing ends that thread but
 * {@link #close()}: an Error in a step is a failed attempt.
 */
public final class ReloadPipeline implements SnapshotListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadPipeline.class);

  private final ReloaderMetrics metrics;
  private final Map<String, ConfigSource> sources = new LinkedHashMap<>();
  private final ChangeQueue queue;
  private final Reconciler reconciler;
  private final HeapGiveBack heap;
  final SignalPathWarmUp warmUp; // its tests reach it
  private final Duration idleTick;
  private final Heartbeat heartbeat;
  private final Thread worker;

  /** Guards {@link #busy} and {@link #toConfirm}; the pipeline's thread waits on it. */
  private final Object lock = new Object();

  /** A reload is under way (from its trigger to its answer), or an idle tick runs. */
  private boolean busy;

  /** A reload triggered on a source's thread, for the pipeline's thread to confirm. */
  private Triggered toConfirm;

  /**
   * Set once every source has started. Until then a change (a source's first content, read on the
   * starting thread) is reloaded on the pipeline's thread, so start-up never waits for the app.
   */
  private volatile boolean sourcesStarted;

  private volatile boolean closed;
  private long nextIdleTick = System.nanoTime(); // the first tick at once

  public ReloadPipeline(
      ReloaderSettings settings,
      AppTarget target,
      ReloaderMetrics metrics,
      Collection<ConfigSource> sources,
      Clock clock) {
    this(settings, target, metrics, sources, clock, System::gc);
  }

  /** {@code collect} is a full collection ({@link HeapGiveBack}); tests pass their own. */
  ReloadPipeline(
      ReloaderSettings settings,
      AppTarget target,
      ReloaderMetrics metrics,
      Collection<ConfigSource> sources,
      Clock clock,
      Runnable collect) {
    this.metrics = metrics;
    sources.forEach(source -> this.sources.put(source.name(), source));
    this.queue = new ChangeQueue(clock, settings.retryMax());
    this.reconciler = new Reconciler(settings, target, queue, metrics, this::tell, clock);
    this.heap = new HeapGiveBack(collect);
    // The volume source reads its dirs on the signal's path; the other sources render, then signal.
    this.warmUp =
        new SignalPathWarmUp(
            this.sources.containsKey(VolumeSource.NAME) ? settings.volumeDirs() : List.of(),
            settings.statusFile());
    this.idleTick = settings.rehashInterval();
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

  /** Once the reloader is up: compiles the signal path before a change needs it. */
  public void warmUp() {
    warmUp.start();
  }

  /** The sources have started: from now on a change is triggered on the thread that saw it. */
  public void sourcesStarted() {
    sourcesStarted = true;
  }

  /**
   * A source's new content: triggered on the caller's thread when no reload is under way and the
   * sources have started, else queued for the pipeline's thread.
   */
  @Override
  public void changed(SourceChange change) {
    heap.changed(); // a reload comes: no full collection from now until it is quiet again
    warmUp.changed();
    Batch batch;
    synchronized (lock) {
      queue.offer(change);
      if (busy || closed || !sourcesStarted) {
        metrics.watchEvent(change.source());
        lock.notifyAll(); // idle, the pipeline's thread takes it
        return; // the reload under way sees it as newer content; the follow-up takes it
      }
      busy = true;
      batch = new Batch(queue.poll());
    }
    Optional<Triggered> triggered = Optional.empty();
    try {
      triggered = safely(batch, () -> reconciler.trigger(batch));
    } finally {
      synchronized (lock) {
        toConfirm = triggered.orElse(null);
        busy = toConfirm != null;
        lock.notifyAll(); // to confirm it, or to wait for a retry the step may have set
      }
    }
    metrics.watchEvent(change.source()); // counted after the signal: off its path
  }

  /** Why the app may be running stale config, if it may: for {@code /health}. */
  public Optional<String> problem() {
    return reconciler.health().problem();
  }

  /** The last change that does not parse, if the latest content of some dir does not. */
  public Optional<String> invalidConfig() {
    return reconciler.invalidConfig();
  }

  /** The last failure to reload or confirm, cleared by the next answer. */
  public Optional<String> lastFailure() {
    return reconciler.health().lastFailure();
  }

  /** The pipeline thread's sign of life, for {@code /health/liveness}. */
  public Heartbeat heartbeat() {
    return heartbeat;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  private void run() {
    try {
      while (!closed) {
        perform(nextWork()); // in a frame of its own: nothing of it stays reachable while idle
        synchronized (lock) {
          busy = false;
        }
        heartbeat.beat();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      heartbeat.dead(e.getClass().getName());
      LOG.error("the reload pipeline stopped: {}", e.getClass().getName(), e);
      return;
    }
    heartbeat.dead("closed");
  }

  private void perform(Object work) {
    if (work instanceof Triggered reload) {
      safely(reload.batch(), () -> confirm(reload));
    } else if (work instanceof Batch batch) {
      safely(batch, () -> reconciler.trigger(batch).flatMap(this::confirm));
    } else if (work != null) {
      safely(new Batch(List.of()), this::idle);
    }
  }

  private Optional<Triggered> confirm(Triggered reload) {
    reconciler.confirm(reload);
    return Optional.empty();
  }

  private Optional<Triggered> idle() {
    reconciler.idle();
    heap.whenQuiet();
    return Optional.empty();
  }

  /** A step of the reconciler; an Error in it (a parser's stack overflow, say) is a failure too. */
  private Optional<Triggered> safely(Batch batch, Supplier<Optional<Triggered>> step) {
    try {
      return step.get();
    } catch (RuntimeException | Error e) {
      // Never let a thread die unseen: the batch is retried and the next edit is applied. Only
      // the type is logged: a message may quote config.
      LOG.error("reload failed unexpectedly; retrying: {}", e.getClass().getName());
      LOG.debug("the failure's stack", e);
      if (!batch.changes().isEmpty()) {
        reconciler.failedUnexpectedly(batch, e);
      }
      return Optional.empty();
    }
  }

  /**
   * Under the lock, marks the pipeline busy and returns what is due: a reload to confirm, a batch,
   * or the idle tick's marker (every rehash interval while nothing waits); null once closed.
   */
  private Object nextWork() throws InterruptedException {
    synchronized (lock) {
      while (!closed) {
        if (toConfirm != null) {
          Triggered reload = toConfirm;
          toConfirm = null;
          return reload; // busy already
        }
        if (!busy) {
          List<SourceChange> due = queue.poll();
          if (!due.isEmpty()) {
            busy = true;
            return new Batch(due);
          }
          long now = System.nanoTime();
          Optional<Duration> wait = queue.untilDue();
          if (wait.isEmpty() && now - nextIdleTick >= 0) {
            nextIdleTick = now + idleTick.toNanos();
            busy = true;
            return IDLE_TICK;
          }
          heartbeat.beat();
          long millis = wait.map(Duration::toMillis).orElse((nextIdleTick - now) / 1_000_000);
          lock.wait(Math.max(1, millis));
        } else {
          heartbeat.beat();
          lock.wait(idleTick.toMillis()); // a source's thread is triggering: it notifies
        }
      }
    }
    return null;
  }

  private static final Object IDLE_TICK = new Object();

  /** Tells the source that caused a change how its reload ended (Kubernetes Events use it). */
  private void tell(SourceChange change, ReloadOutcome outcome) {
    ConfigSource source = sources.get(change.source());
    if (source == null) {
      return;
    }
    try {
      source.reloaded(change, outcome);
    } catch (RuntimeException e) {
      LOG.warn("source {} failed to take the outcome: {}", change.source(), e.toString());
    }
  }
}
