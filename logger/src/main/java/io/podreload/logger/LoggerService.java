package io.podreload.logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds one pipeline per output (stdout always, backends when configured) and runs them. */
public class LoggerService {
  private static final Logger LOG = LoggerFactory.getLogger(LoggerService.class);

  private final LoggerSettings settings;
  private final Metrics metrics;

  /** Published whole once every pipeline runs: /health never sees a list being filled. */
  private volatile List<Pipeline> pipelines = List.of();

  private volatile boolean started;
  private Thread watchdog;
  private volatile boolean stopping;

  public LoggerService(LoggerSettings settings, Metrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  public synchronized void start() throws IOException {
    LOG.info("settings: {}", settings.describe());
    List<Output> outputs = new ArrayList<>();
    outputs.add(new StdoutOutput(settings.format(), metrics.forOutput("stdout")));
    settings
        .elasticsearch()
        .ifPresent(
            es -> outputs.add(new ElasticsearchOutput(es, metrics.forOutput("elasticsearch"))));
    settings.loki().ifPresent(l -> outputs.add(new LokiOutput(l, metrics.forOutput("loki"))));
    start(outputs);
  }

  /** Starts a pipeline for each output (tests pass their own). */
  synchronized void start(List<Output> outputs) throws IOException {
    List<Pipeline> built = new ArrayList<>();
    for (Output output : outputs) {
      Metrics.OutputMetrics m = metrics.forOutput(output.name());
      CheckpointStore store = new CheckpointStore(settings.stateDir(), output.name(), m);
      List<FileFollower> followers = new ArrayList<>();
      for (var file : settings.files()) {
        followers.add(
            new FileFollower(
                file,
                store,
                m,
                output.name(),
                settings.maxLineBytes(),
                settings.partialLineTimeout().toNanos()));
      }
      built.add(new Pipeline(output, followers, store, m, settings));
    }
    LOG.info(
        "following {} to {} (format {}, checkpoints in {})",
        settings.files(),
        outputs.stream().map(Output::name).toList(),
        settings.format().name().toLowerCase(),
        settings.stateDir());
    built.forEach(Pipeline::start);
    pipelines = List.copyOf(built);
    started = true;
    watchdog = new Thread(this::warnWhenBehind, "behind-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  /** Drain, flush, checkpoint, within LOGGER_SHUTDOWN_TIMEOUT. */
  public synchronized void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    pipelines.forEach(p -> p.requestStop(deadline));
    for (Pipeline p : pipelines) {
      try {
        if (!p.awaitStopped(deadline)) {
          LOG.warn(
              "[{}] did not finish in time; unconfirmed lines are sent again after restart",
              p.name());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.info("stopped: every line read was written and checkpointed");
  }

  public List<Pipeline> pipelines() {
    return pipelines;
  }

  /** Readiness: every configured output has its pipeline running (an output's trouble is not). */
  public boolean ready() {
    return started;
  }

  /** Liveness: no pipeline's thread has ended or stopped going round its loop. */
  public boolean live() {
    return pipelines.stream().allMatch(Pipeline::alive);
  }

  /** Both: DOWN until every output runs, and whenever one of their threads is dead or stuck. */
  public boolean healthy() {
    return ready() && live();
  }

  /** Backpressure is silent by design (the file is the buffer): say so when it grows. */
  private void warnWhenBehind() {
    long[] lastWarn = new long[1];
    while (!stopping) {
      for (Pipeline p : pipelines) {
        for (FileFollower f : p.followers()) {
          long behind = f.bytesBehind();
          boolean rotated = f.readingRotatedFile() && behind > 0;
          if ((behind > settings.behindWarnBytes() || rotated)
              && System.nanoTime() - lastWarn[0] > TimeUnit.SECONDS.toNanos(30)) {
            lastWarn[0] = System.nanoTime();
            LOG.warn(
                "[{}] {} bytes behind on {}{}: the output is slower than the writer. If rotation"
                    + " removes a file before it is read, its unread lines are lost",
                p.name(),
                behind,
                f.followed(),
                rotated ? " (still reading the rotated file)" : "");
          }
        }
      }
      try {
        TimeUnit.SECONDS.sleep(1);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
