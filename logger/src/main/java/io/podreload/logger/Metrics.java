package io.podreload.logger;

import io.podreload.common.PrometheusRegistry;
import io.podreload.common.PrometheusRegistry.Counter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters per output, in the process's {@link PrometheusRegistry} (rendered at {@code
 * /prometheus}), each labelled {@code output}; per followed file also {@code file}.
 */
public final class Metrics {

  /** What one output (stdout or a backend) has done, and how far behind its files it is. */
  public static final class OutputMetrics {
    final String output;
    final Counter linesRead;
    final Counter bytesRead;
    final Counter linesWritten;
    final Counter bytesWritten;
    final Counter rotations;
    final Counter truncations;
    final Counter longLines;
    final Counter retries;
    final Counter rejected;
    final Counter lostFiles;
    final Counter lostBytes;
    final Counter checkpointErrors;
    final AtomicLong queueDepth = new AtomicLong();
    private final PrometheusRegistry registry;

    OutputMetrics(PrometheusRegistry registry, String output) {
      this.registry = registry;
      this.output = output;
      linesRead = counter("logger_lines_read", "Lines read from followed files");
      bytesRead = counter("logger_bytes_read", "Bytes read from followed files");
      linesWritten = counter("logger_lines_written", "Lines written by the output");
      bytesWritten = counter("logger_bytes_written", "Bytes written by the output");
      rotations = counter("logger_rotations", "Files rotated away (rename/delete)");
      truncations = counter("logger_truncations", "Files truncated in place");
      longLines = counter("logger_long_lines", "Lines split for exceeding the limit");
      retries = counter("logger_retries", "Backend requests retried");
      rejected = counter("logger_rejected_lines", "Lines the backend refused");
      lostFiles = counter("logger_lost_files", "Rotated files removed before they were read");
      lostBytes =
          counter(
              "logger_lost_bytes",
              "Bytes of rotated files removed before they were read (their size when last seen)");
      checkpointErrors = counter("logger_checkpoint_errors", "Damaged or unsaved");
      registry.gauge(
          "logger_queue_depth",
          "Lines read but not yet written by the output",
          queueDepth::get,
          "output",
          output);
    }

    private Counter counter(String name, String help) {
      return registry.counter(name, help, "output", output);
    }

    /** How far behind {@code follower}'s file this output is, as gauges. */
    void follow(FileFollower follower) {
      String file = follower.followed().toString();
      registry.gauge(
          "logger_bytes_behind",
          "Bytes in the files not yet written",
          follower::bytesBehind,
          "output",
          output,
          "file",
          file);
      registry.gauge(
          "logger_lag_seconds",
          "Seconds since the output last caught up",
          follower::lagSeconds,
          "output",
          output,
          "file",
          file);
    }

    /** 1 while the output fails (its lines wait in the file), else 0. */
    void failing(java.util.function.BooleanSupplier failing) {
      registry.gauge(
          "logger_output_failing",
          "1 while writing to the output fails and its lines wait in the files",
          () -> failing.getAsBoolean() ? 1 : 0,
          "output",
          output);
    }

    public long linesWritten() {
      return (long) linesWritten.value();
    }

    public long rejected() {
      return (long) rejected.value();
    }
  }

  private final PrometheusRegistry registry;
  private final Map<String, OutputMetrics> outputs = new ConcurrentHashMap<>();

  public Metrics(PrometheusRegistry registry) {
    this.registry = registry;
  }

  public OutputMetrics forOutput(String name) {
    return outputs.computeIfAbsent(name, n -> new OutputMetrics(registry, n));
  }

  public PrometheusRegistry registry() {
    return registry;
  }
}
