package io.podreload.logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One output with its own followers and checkpoints, on its own thread. While the output blocks,
 * nothing more is read: the file is the buffer. A checkpoint is saved only when every line read so
 * far has been written, so it never points past a line the output does not have.
 */
final class Pipeline implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final Output output;
  private final List<FileFollower> followers;
  private final CheckpointStore checkpoints;
  private final Metrics.OutputMetrics metrics;
  private final long pollNanos;
  private final long checkpointNanos;
  private final Batch batch = new Batch();
  private final Map<Path, Checkpoint> saved = new HashMap<>();
  private final Thread thread;

  private volatile boolean stopRequested;
  private volatile long drainDeadlineNanos = Long.MAX_VALUE;
  private volatile long giveUpNanos = Long.MAX_VALUE;
  private volatile String lastError;
  private volatile boolean finished;
  private volatile boolean failed;

  Pipeline(
      Output output,
      List<FileFollower> followers,
      CheckpointStore checkpoints,
      Metrics.OutputMetrics metrics,
      LoggerSettings settings) {
    this.output = output;
    this.followers = followers;
    this.checkpoints = checkpoints;
    this.metrics = metrics;
    this.pollNanos = settings.pollInterval().toNanos();
    this.checkpointNanos = settings.checkpointInterval().toNanos();
    this.thread = new Thread(this, "pipeline-" + output.name());
    metrics.followers.addAll(followers);
  }

  void start() {
    thread.start();
  }

  /** Read what the files hold now, write it, checkpoint, stop; give up at the deadline. */
  void requestStop(long deadlineNanos) {
    long now = System.nanoTime();
    drainDeadlineNanos = now + (deadlineNanos - now) * 3 / 4;
    giveUpNanos = deadlineNanos;
    stopRequested = true;
    LockSupport.unpark(thread);
  }

  boolean awaitStopped(long deadlineNanos) throws InterruptedException {
    long waitMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    thread.join(Math.max(1, waitMs));
    return !thread.isAlive();
  }

  String name() {
    return output.name();
  }

  boolean healthy() {
    return !failed && (!finished || stopRequested);
  }

  String lastError() {
    return lastError;
  }

  List<FileFollower> followers() {
    return followers;
  }

  @Override
  public void run() {
    LoggerSettings.Batching limits = output.batching();
    long maxWaitNanos = limits.maxWait().toNanos();
    long lastCheckpoint = System.nanoTime();
    try {
      while (true) {
        boolean stopping = stopRequested;
        boolean progress = false;
        for (FileFollower f : followers) {
          progress |= f.poll(batch, limits.maxLines(), limits.maxBytes());
        }
        metrics.queueDepth.set(batch.count());
        boolean full = batch.count() >= limits.maxLines() || batch.bytes() >= limits.maxBytes();
        boolean pastDrain = stopping && System.nanoTime() > drainDeadlineNanos;
        if (batch.count() > 0 && (full || stopping || batch.ageNanos() >= maxWaitNanos)) {
          output.write(batch, () -> System.nanoTime() > giveUpNanos);
          batch.clear();
          metrics.queueDepth.set(0);
          lastError = null;
        }
        boolean idle = !progress && batch.count() == 0;
        if (batch.count() == 0
            && (idle || stopping || System.nanoTime() - lastCheckpoint >= checkpointNanos)) {
          saveCheckpoints();
          lastCheckpoint = System.nanoTime();
        }
        if (stopping && batch.count() == 0 && (idle || pastDrain)) {
          if (pastDrain && !idle) {
            LOG.warn("[{}] stopping before the end of the files: out of time", output.name());
          }
          break;
        }
        if (!progress && !stopRequested) {
          long sleep = pollNanos;
          if (batch.count() > 0) {
            sleep = Math.min(sleep, Math.max(0, maxWaitNanos - batch.ageNanos()));
          }
          LockSupport.parkNanos(sleep); // requestStop unparks
        }
      }
    } catch (InterruptedException | GaveUpException e) {
      lastError = e.getMessage();
      LOG.warn(
          "[{}] gave up with {} lines not confirmed by the output; they are sent again after"
              + " the next start",
          output.name(),
          batch.count());
    } catch (Throwable t) {
      failed = true;
      lastError = t.toString();
      LOG.error("[{}] stopped: {}", output.name(), t.toString(), t);
    } finally {
      finished = true;
      followers.forEach(FileFollower::close);
      output.close();
    }
  }

  private void saveCheckpoints() {
    for (FileFollower f : followers) {
      Checkpoint c = f.checkpoint();
      if (c == null || c.equals(saved.get(c.followed()))) {
        continue;
      }
      try {
        checkpoints.save(c);
        saved.put(c.followed(), c);
      } catch (IOException e) {
        metrics.checkpointErrors.increment();
        lastError = "cannot save checkpoint: " + e;
        LOG.error(
            "[{}] cannot save the checkpoint for {}: {}. Lines keep flowing; after a restart"
                + " some may repeat",
            output.name(),
            c.followed(),
            e.toString());
      }
    }
  }

  /** Thrown by an output that ran out of time retrying during shutdown. */
  static final class GaveUpException extends IOException {
    GaveUpException(String message) {
      super(message);
    }
  }
}
