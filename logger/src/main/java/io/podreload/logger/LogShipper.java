package io.podreload.logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.exceptions.ConfigurationException;
import io.podreload.logger.Checkpoints.Checkpoint;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every file of {@code LOGGER_FILES} on one thread and writes their lines to stdout.
 * Flushes when the input is drained, and checkpoints only after a flush, so a checkpoint never
 * covers a line the output has not taken. On shutdown (SIGTERM): reads to the end, flushes,
 * checkpoints, then lets the JVM exit: nothing lost, nothing repeated after a restart.
 */
@Context
public final class LogShipper {

  private static final Logger LOG = LoggerFactory.getLogger(LogShipper.class);

  private final LoggerSettings settings;
  private final Output output;
  private final Checkpoints checkpoints;
  private final List<FollowedFile> files = new ArrayList<>();
  private final Map<Path, Checkpoint> saved = new HashMap<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long caughtUpAtNanos = System.nanoTime();

  public LogShipper(LoggerSettings settings, MeterRegistry registry) {
    this(settings, registry, new StdoutOutput("json".equals(settings.format())));
  }

  LogShipper(LoggerSettings settings, MeterRegistry registry, Output output) {
    List<String> problems = settings.problems();
    if (!problems.isEmpty()) {
      throw new ConfigurationException(
          "the logger's settings are not usable:\n  " + String.join("\n  ", problems));
    }
    LOG.info("settings: {}", settings);
    this.settings = settings;
    LoggerMetrics metrics = new LoggerMetrics(registry);
    this.output = metrics.counted(output);
    this.checkpoints = new Checkpoints(settings.stateDir());
    for (Path file : settings.files()) {
      files.add(
          new FollowedFile(
              file, this.output, checkpoints.load(file, output.name()), metrics, settings));
    }
    Gauge.builder("logger.bytes.behind", this, LogShipper::bytesBehind)
        .description("Bytes written to the followed files and not yet shipped")
        .register(registry);
    Gauge.builder(
            "logger.lag",
            this,
            s -> s.bytesBehind() == 0 ? 0 : (System.nanoTime() - s.caughtUpAtNanos) / 1e9)
        .baseUnit("seconds")
        .description("How long the logger has been behind its files")
        .register(registry);
    thread = new Thread(this::run, "log-shipper");
    thread.start();
  }

  /** Problems reading the files (permissions), for {@code /health}. */
  public List<String> problems() {
    return files.stream().map(FollowedFile::problem).flatMap(Optional::stream).toList();
  }

  long bytesBehind() {
    return files.stream().mapToLong(FollowedFile::bytesBehind).sum();
  }

  @PreDestroy
  void stop() throws InterruptedException {
    running = false;
    LockSupport.unpark(thread);
    thread.join(TimeUnit.SECONDS.toMillis(20));
  }

  private void run() {
    long lastCheckpoint = System.nanoTime();
    long interval = settings.checkpointInterval().toNanos();
    while (running) {
      boolean worked = false;
      for (FollowedFile file : files) {
        try {
          worked |= file.poll();
        } catch (IOException | RuntimeException e) {
          LOG.warn("reading {} failed: {}; trying again", file.path(), e.toString());
        }
      }
      if (!worked) {
        caughtUpAtNanos = System.nanoTime();
        flush();
        if (System.nanoTime() - lastCheckpoint > interval) {
          checkpoint();
          lastCheckpoint = System.nanoTime();
        }
        LockSupport.parkNanos(settings.pollInterval().toNanos());
      } else if (System.nanoTime() - lastCheckpoint > interval) {
        flush();
        checkpoint();
        lastCheckpoint = System.nanoTime();
      }
    }
    // Shutting down: every complete line already written goes out, then the checkpoint.
    for (FollowedFile file : files) {
      try {
        file.drain();
      } catch (IOException e) {
        LOG.warn("draining {} failed: {}", file.path(), e.toString());
      }
    }
    flush();
    checkpoint();
    files.forEach(FollowedFile::close);
    LOG.info("stopped: every line read was written and checkpointed");
  }

  private void flush() {
    try {
      output.flush();
    } catch (IOException e) {
      LOG.warn("flushing {} failed: {}", output.name(), e.toString());
    }
  }

  private void checkpoint() {
    for (FollowedFile file : files) {
      Optional<Checkpoint> checkpoint = file.checkpoint();
      if (checkpoint.isPresent() && !checkpoint.get().equals(saved.get(file.path()))) {
        try {
          checkpoints.save(file.path(), output.name(), checkpoint.get());
          saved.put(file.path(), checkpoint.get());
        } catch (IOException e) {
          LOG.warn(
              "cannot save the checkpoint of {} in {} ({}); after a restart lines may repeat:"
                  + " LOGGER_STATE_DIR must be writable",
              file.path(),
              settings.stateDir(),
              e.toString());
        }
      }
    }
  }
}
