package io.podreload.micronaut;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log file: lines are queued by the request threads and written by one writer thread, so
 * a slow disk never blocks the event loop. Rotated by size the way logrotate does it (rename {@code
 * access.log} to {@code access.log.1}, then create a new one), so that the logger sidecar meets
 * real rotation.
 *
 * <p>When the disk stalls and {@code APP_ACCESS_LOG_QUEUE} lines are waiting, further lines are
 * dropped, never waited for: a request thread here is one of Netty's event loops, and blocking it
 * would stall every connection it serves. Each line not written counts in {@code
 * app_access_log_lines_total{result="dropped"}}, and the first drop of a run is logged. Closing
 * drains the queue for up to 10 s: nothing is lost on a graceful shutdown with a working disk.
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Singleton
public final class AccessLog {

  private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
  private static final int BATCH = 1024;

  /** How long the writer waits for more lines before writing what it has (at most). */
  static final long LINGER_MILLIS = 2;

  private static final String END = new String("end of log"); // identity-compared sentinel

  private final Path file;
  private final long maxBytes;
  private final int keep;
  private final boolean enabled;
  private final BlockingQueue<String> queue;
  private final Thread writer;
  private final Counter written;
  private final Counter dropped;
  private final Counter rotations;

  private OutputStream out;
  private long size;
  private String openProblem;
  private final AtomicBoolean dropping = new AtomicBoolean();

  public AccessLog(PodreloadSettings settings, MeterRegistry metrics) {
    this.file = settings.accessLog();
    this.maxBytes = settings.accessLogMaxBytes();
    this.keep = settings.accessLogKeep();
    this.enabled = settings.accessLogEnabled();
    this.queue = new LinkedBlockingQueue<>(settings.accessLogQueue());
    this.written = metrics.counter("app.access.log.lines", "result", "written");
    this.dropped = metrics.counter("app.access.log.lines", "result", "dropped");
    this.rotations = metrics.counter("app.access.log.rotations");
    Gauge.builder("app.access.log.queue", queue, BlockingQueue::size).register(metrics);
    this.writer = new Thread(this::drain, "access-log");
    writer.setDaemon(true);
    if (enabled) {
      writer.start();
    } else {
      LOG.info("no access log (APP_ACCESS_LOG_ENABLED=false)");
    }
  }

  /** Whether lines are written at all ({@code APP_ACCESS_LOG_ENABLED}). */
  public boolean enabled() {
    return enabled;
  }

  /** Queues one line (without its newline); never waits: when the queue is full, it is dropped. */
  public void append(String line) {
    if (queue.offer(line)) {
      dropping.set(false);
      return;
    }
    dropped.increment();
    if (dropping.compareAndSet(false, true)) {
      LOG.warn(
          "the access log {} is {} lines behind (the disk is slow or stalled): lines are dropped"
              + " and counted in app_access_log_lines_total{{result=\"dropped\"}}",
          file,
          queue.size());
    }
  }

  /** Writes what is queued, for up to 10 s; lines still queued then are counted as dropped. */
  @PreDestroy
  public void close() throws InterruptedException {
    if (!enabled) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    if (queue.offer(END, 10, TimeUnit.SECONDS)) {
      writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    if (writer.isAlive()) {
      dropped.increment(queue.size()); // the writer is stuck on the disk: leave it be
      LOG.warn("the access log {} did not take the last {} lines in time", file, queue.size());
      return;
    }
    synchronized (this) {
      closeQuietly();
    }
  }

  private void drain() {
    List<String> batch = new ArrayList<>(BATCH);
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      boolean interrupted = false;
      if (batch.get(0) != END && queue.size() < BATCH - 1) {
        // A line comes with each request: lingering a moment gathers the next ones into the
        // same write, rather than waking this thread for each line and taking a core from the
        // requests (and from a reload) on a busy machine.
        try {
          Thread.sleep(LINGER_MILLIS);
        } catch (InterruptedException e) {
          interrupted = true; // what was taken is still written
        }
      }
      queue.drainTo(batch, BATCH - 1);
      boolean end = batch.removeIf(line -> line == END); // by identity: no line can fake it
      write(batch);
      batch.clear();
      if (interrupted) {
        return;
      }
      if (end) {
        List<String> late = new ArrayList<>();
        queue.drainTo(late); // whatever raced in after the sentinel
        write(late);
        return;
      }
    }
  }

  private synchronized void write(List<String> lines) {
    if (lines.isEmpty()) {
      return;
    }
    try {
      for (String line : lines) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (out == null || (size > 0 && size + bytes.length > maxBytes)) {
          if (out != null) {
            rotate();
          }
          open();
        }
        out.write(bytes);
        size += bytes.length;
      }
      out.flush();
      written.increment(lines.size());
    } catch (IOException e) {
      dropped.increment(lines.size());
      String problem =
          "cannot write the access log "
              + file
              + " ("
              + e
              + "); lines are dropped until it is writable: mount a writable volume there";
      if (!problem.equals(openProblem)) {
        LOG.error(problem);
        openProblem = problem;
      }
      closeQuietly();
    }
  }

  private void open() throws IOException {
    Files.createDirectories(file.getParent());
    out =
        Files.newOutputStream(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    size = Files.size(file);
    if (openProblem != null) {
      LOG.info("the access log {} is writable again", file);
      openProblem = null;
    }
  }

  /** access.log.(k) → .(k+1), the oldest falling off, then access.log → access.log.1. */
  private void rotate() throws IOException {
    out.close();
    out = null;
    Files.deleteIfExists(rotated(keep));
    for (int k = keep - 1; k >= 1; k--) {
      if (Files.exists(rotated(k))) {
        Files.move(rotated(k), rotated(k + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
    rotations.increment();
  }

  private Path rotated(int k) {
    return file.resolveSibling(file.getFileName() + "." + k);
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already reported through the write that failed
      }
      out = null;
    }
  }
}
