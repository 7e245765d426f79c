package io.podreload.reloader.pipeline;

import io.podreload.common.Heartbeat;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.AppTarget;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcile loop: sources put their changes in the {@link ChangeQueue}; one thread takes them
 * when they are due and hands each batch to the {@link Reconciler}, so there is one reload at a
 * time and the changes seen meanwhile go together into one follow-up. A change is never dropped: a
 * batch that failed is retried with backoff until it is applied, rejected, or replaced by newer
 * content. Nothing ends the loop but {@link #close()}: an Error in a step is a failed attempt.
 */
public final class ReloadPipeline implements SnapshotListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadPipeline.class);

  private final ReloaderMetrics metrics;
  private final Map<String, ConfigSource> sources = new LinkedHashMap<>();
  private final ChangeQueue queue;
  private final Reconciler reconciler;
  private final Duration idleTick;
  private final Heartbeat heartbeat;
  private final Thread worker;
  private volatile boolean closed;
  private boolean reloadedSinceCollection;
  private long nextIdleTick = System.nanoTime(); // the first tick at once

  public ReloadPipeline(
      ReloaderSettings settings,
      AppTarget target,
      ReloaderMetrics metrics,
      Collection<ConfigSource> sources,
      Clock clock) {
    this.metrics = metrics;
    sources.forEach(source -> this.sources.put(source.name(), source));
    this.queue = new ChangeQueue(clock, settings.retryMax());
    this.reconciler = new Reconciler(settings, target, queue, metrics, this::tell, clock);
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

  @Override
  public void changed(SourceChange change) {
    metrics.watchEvent(change.source());
    queue.offer(change);
  }

  /** Why the app may be running stale config, if it may: for {@code /health}. */
  public Optional<String> problem() {
    return reconciler.problem();
  }

  /** The last change that does not parse, if the latest content of some dir does not. */
  public Optional<String> invalidConfig() {
    return reconciler.invalidConfig();
  }

  /** The last failure to reload or confirm, cleared by the next answer. */
  public Optional<String> lastFailure() {
    return reconciler.lastFailure();
  }

  /** The pipeline thread's sign of life, for {@code /health/liveness}. */
  public Heartbeat heartbeat() {
    return heartbeat;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (queue) {
      queue.notifyAll();
    }
  }

  private void run() {
    try {
      while (!closed) {
        step(nextBatch());
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

  private void step(List<SourceChange> batch) {
    try {
      if (batch.isEmpty()) {
        reconciler.idle();
        giveBackHeap();
      } else {
        reconciler.reconcile(batch);
        reloadedSinceCollection = true;
      }
    } catch (RuntimeException | Error e) {
      // Never let the loop die unseen: an Error (a parser's stack overflow, say) is a failed
      // attempt like any other; the batch is retried and the next edit is applied. Only the
      // type is logged: a message may quote config.
      LOG.error("reload failed unexpectedly; retrying: {}", e.getClass().getName());
      LOG.debug("the failure's stack", e);
      reconciler.failedUnexpectedly(batch, e);
    }
  }

  /** The due changes; empty on an idle tick (every rehash interval while nothing waits). */
  private List<SourceChange> nextBatch() throws InterruptedException {
    synchronized (queue) {
      while (!closed) {
        List<SourceChange> batch = queue.poll();
        if (!batch.isEmpty()) {
          return batch;
        }
        Optional<Duration> due = queue.untilDue();
        long now = System.nanoTime();
        if (due.isEmpty() && now - nextIdleTick >= 0) {
          nextIdleTick = now + idleTick.toNanos();
          return List.of();
        }
        long wait = due.map(Duration::toMillis).orElse((nextIdleTick - now) / 1_000_000);
        heartbeat.beat();
        queue.wait(Math.max(1, wait));
      }
    }
    return List.of();
  }

  /**
   * On the first quiet tick after reloads, full collections until the heap stops shrinking: the
   * heap that a burst grew (a large ConfigMap, many reloads) is returned to the system, which the
   * serial collector does only after a full collection, and only part of the way each time (its
   * shrink factor grows over successive collections; jvm.options sets how much free heap it keeps).
   * One collection left a 1 MiB ConfigMap's burst at 21 of 29 MiB; a few take it back to the live
   * set's share. Without them the reloader stays at its peak size.
   */
  private void giveBackHeap() {
    if (reloadedSinceCollection) {
      reloadedSinceCollection = false;
      Runtime runtime = Runtime.getRuntime();
      long committed = runtime.totalMemory();
      for (int i = 0; i < MAX_COLLECTIONS_WHEN_QUIET; i++) {
        System.gc();
        long now = runtime.totalMemory();
        if (now >= committed && i > 0) {
          break; // the first may only set the collector's shrink factor going
        }
        committed = now;
      }
    }
  }

  private static final int MAX_COLLECTIONS_WHEN_QUIET = 6;

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
