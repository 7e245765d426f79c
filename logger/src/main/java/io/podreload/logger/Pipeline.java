package io.podreload.logger;

import io.podreload.common.Heartbeat;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
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
  private final Metrics.OutputMetrics metrics;
  private final long pollNanos;
  private final long checkpointNanos;
  private final Batch batch = new Batch();
  private final CheckpointSaver checkpointSaver;
  private final Thread thread;

  private volatile boolean stopRequested;
  private volatile long drainDeadlineNanos = Long.MAX_VALUE;
  private volatile long giveUpNanos = Long.MAX_VALUE;
  private volatile String lastError;
  private volatile boolean finished;
  private volatile boolean failed;

  /** Beats each time the loop goes round (or an output retries): a stuck thread stops it. */
  private final Heartbeat heartbeat;

  /** Per follower: when to try again after a problem, and how long the next wait is. */
  private final long[] retryAtNanos;

  private final long[] backoffNanos;
  private final String[] problems;
  private long outputBackoffNanos;
  private String outputProblem;

  Pipeline(
      Output output,
      List<FileFollower> followers,
      CheckpointStore checkpoints,
      Metrics.OutputMetrics metrics,
      LoggerSettings settings) {
    this.output = output;
    this.followers = followers;
    this.checkpointSaver =
        new CheckpointSaver(output.name(), checkpoints::save, this::checkpointFailed);
    this.metrics = metrics;
    this.pollNanos = settings.pollInterval().toNanos();
    this.checkpointNanos = settings.checkpointInterval().toNanos();
    this.heartbeat =
        new Heartbeat("pipeline-" + output.name(), settings.stallTimeout(), Clock.systemUTC());
    this.retryAtNanos = new long[followers.size()];
    this.backoffNanos = new long[followers.size()];
    this.problems = new String[followers.size()];
    this.thread = new Thread(this, "pipeline-" + output.name());
    this.thread.setUncaughtExceptionHandler(
        (t, e) -> LOG.error("[{}] the pipeline thread died: {}", output.name(), e.toString(), e));
    followers.forEach(metrics::follow);
    metrics.failing(this::failing);
  }

  void start() {
    checkpointSaver.start();
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

  /** Its thread runs and goes round its loop (or retries an output): the liveness of the logger. */
  boolean alive() {
    return downReason() == null;
  }

  /** True while writing to the output fails: a detail of /health and a metric, never DOWN. */
  boolean failing() {
    return lastError != null && !finished;
  }

  /** Why this output counts as down (its thread died or hangs), or null while it works. */
  String downReason() {
    if (stopRequested) {
      return null;
    }
    if (failed || finished || !thread.isAlive()) {
      return "its thread ended: " + lastError;
    }
    String silent = heartbeat.problem();
    if (silent != null) {
      return silent
          + " (stuck in a write to the output, or reading a file): check that its destination"
          + " accepts data";
    }
    return null;
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
    // each retry of an output also shows that the thread is alive
    Output.StopSignal stopSignal =
        () -> {
          heartbeat.beat();
          return System.nanoTime() > giveUpNanos;
        };
    try {
      while (true) {
        heartbeat.beat();
        boolean stopping = stopRequested;
        boolean progress = false;
        for (int i = 0; i < followers.size(); i++) {
          progress |= poll(i, limits);
        }
        metrics.queueDepth.set(batch.count());
        boolean full = batch.count() >= limits.maxLines() || batch.bytes() >= limits.maxBytes();
        boolean pastDrain = stopping && System.nanoTime() > drainDeadlineNanos;
        long backoff = 0;
        if (batch.count() > 0 && (full || stopping || batch.ageNanos() >= maxWaitNanos)) {
          if (write(stopSignal)) {
            batch.clear();
            metrics.queueDepth.set(0);
          } else if (System.nanoTime() > giveUpNanos) {
            throw new Output.GaveUpException(
                output.name() + ": out of time writing: " + outputProblem);
          } else {
            backoff = outputBackoffNanos; // the batch is kept and written again after it
          }
        }
        boolean idle = !progress && batch.count() == 0;
        // at most one save (an fsync per file) per LOGGER_CHECKPOINT_INTERVAL, also when lines
        // trickle in; the last one on the way out
        boolean written = true;
        if (batch.count() == 0
            && (stopping || System.nanoTime() - lastCheckpoint >= checkpointNanos)) {
          written = written(); // a checkpoint only covers lines the output has
          if (written) {
            saveCheckpoints(stopping);
          } else {
            backoff = outputBackoffNanos;
          }
          lastCheckpoint = System.nanoTime();
        }
        if (stopping && batch.count() == 0 && ((idle && written) || pastDrain)) {
          if (pastDrain && !idle) {
            LOG.warn("[{}] stopping before the end of the files: out of time", output.name());
          }
          break;
        }
        if (backoff > 0) {
          LockSupport.parkNanos(Math.min(backoff, Math.max(0, giveUpNanos - System.nanoTime())));
        } else if (!progress && !stopRequested) {
          long sleep = pollNanos;
          if (batch.count() > 0) {
            sleep = Math.min(sleep, Math.max(0, maxWaitNanos - batch.ageNanos()));
          }
          LockSupport.parkNanos(sleep); // requestStop unparks
        }
      }
    } catch (InterruptedException | Output.GaveUpException e) {
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
      checkpointSaver.close();
      followers.forEach(FileFollower::close);
      output.close();
    }
  }

  /**
   * Polls one follower unless it waits out a backoff after a problem. A problem is logged once
   * (until it changes or clears) and never ends the loop: the follower is polled again later.
   */
  private boolean poll(int i, LoggerSettings.Batching limits) {
    if (problems[i] != null && System.nanoTime() - retryAtNanos[i] < 0) {
      return false;
    }
    FileFollower f = followers.get(i);
    try {
      boolean progress = f.poll(batch, limits.maxLines(), limits.maxBytes());
      if (problems[i] != null) {
        LOG.info("[{}] {} can be read again", output.name(), f.followed());
        problems[i] = null;
        backoffNanos[i] = 0;
        f.readProblem(null);
      }
      return progress;
    } catch (IOException | RuntimeException e) {
      String problem = "cannot read " + f.followed() + ": " + e;
      if (!problem.equals(problems[i])) {
        LOG.warn(
            "[{}] {}. Retrying with a backoff; its lines wait in the file meanwhile",
            output.name(),
            problem,
            e instanceof RuntimeException ? e : null);
      }
      problems[i] = problem;
      f.readProblem(problem);
      backoffNanos[i] = nextBackoff(backoffNanos[i], TimeUnit.SECONDS.toNanos(5));
      retryAtNanos[i] = System.nanoTime() + backoffNanos[i];
      return false;
    }
  }

  /**
   * Writes the batch. False if the output failed (logged once per distinct problem, with a growing
   * backoff): the batch is kept and written again.
   */
  private boolean write(Output.StopSignal stopSignal)
      throws InterruptedException, Output.GaveUpException {
    return attempt(() -> output.write(batch, stopSignal));
  }

  /** Whether everything handed to the output is written: checkpoints may be saved. */
  private boolean written() throws InterruptedException, Output.GaveUpException {
    return attempt(output::awaitWritten);
  }

  private interface OutputCall {
    void run() throws IOException, InterruptedException;
  }

  private boolean attempt(OutputCall call) throws InterruptedException, Output.GaveUpException {
    try {
      call.run();
      if (outputProblem != null) {
        LOG.info("[{}] writing works again", output.name());
        outputProblem = null;
        outputBackoffNanos = 0;
      }
      lastError = null;
      return true;
    } catch (Output.GaveUpException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      String problem = "cannot write to " + output.name() + ": " + e;
      if (!problem.equals(outputProblem)) {
        LOG.warn(
            "[{}] {}. Retrying with a backoff; the lines wait in the file meanwhile",
            output.name(),
            problem,
            e instanceof RuntimeException ? e : null);
      }
      outputProblem = problem;
      lastError = problem;
      metrics.retries.increment();
      outputBackoffNanos = nextBackoff(outputBackoffNanos, TimeUnit.SECONDS.toNanos(30));
      return false;
    }
  }

  private long nextBackoff(long previous, long max) {
    return previous == 0
        ? Math.max(pollNanos, TimeUnit.MILLISECONDS.toNanos(100))
        : Math.min(max, previous * 2);
  }

  /**
   * Hands every follower's checkpoint to the saver's thread, or, on the way out, saves them here
   * and returns once they are on disk.
   */
  private void saveCheckpoints(boolean now) {
    for (FileFollower f : followers) {
      Checkpoint c = f.checkpoint();
      if (c != null) {
        checkpointSaver.offer(c);
      }
    }
    if (now) {
      checkpointSaver.saveNow();
    }
  }

  private void checkpointFailed(String problem) {
    metrics.checkpointErrors.increment();
    lastError = problem;
    LOG.error(
        "[{}] {}. Lines keep flowing; after a restart some may repeat", output.name(), problem);
  }
}
