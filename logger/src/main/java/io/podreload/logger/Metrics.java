package io.podreload.logger;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** Counters per output, rendered in the Prometheus text format at {@code /prometheus}. */
public final class Metrics {

  /** What one output (stdout or a backend) has done, and how far behind its files it is. */
  public static final class OutputMetrics {
    final String output;
    final LongAdder linesRead = new LongAdder();
    final LongAdder bytesRead = new LongAdder();
    final LongAdder linesWritten = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    final LongAdder rotations = new LongAdder();
    final LongAdder truncations = new LongAdder();
    final LongAdder longLines = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder lostFiles = new LongAdder();
    final LongAdder checkpointErrors = new LongAdder();
    final AtomicLong queueDepth = new AtomicLong();
    final List<FileFollower> followers = new CopyOnWriteArrayList<>();

    OutputMetrics(String output) {
      this.output = output;
    }

    public long linesWritten() {
      return linesWritten.sum();
    }

    public long rejected() {
      return rejected.sum();
    }
  }

  private final Map<String, OutputMetrics> outputs = new ConcurrentHashMap<>();

  public OutputMetrics forOutput(String name) {
    return outputs.computeIfAbsent(name, OutputMetrics::new);
  }

  public String prometheus() {
    StringBuilder sb = new StringBuilder(4096);
    counter(sb, "logger_lines_read_total", "Lines read from followed files", m -> m.linesRead);
    counter(sb, "logger_bytes_read_total", "Bytes read from followed files", m -> m.bytesRead);
    counter(sb, "logger_lines_written_total", "Lines written by the output", m -> m.linesWritten);
    counter(sb, "logger_bytes_written_total", "Bytes written by the output", m -> m.bytesWritten);
    counter(sb, "logger_rotations_total", "Files rotated away (rename/delete)", m -> m.rotations);
    counter(sb, "logger_truncations_total", "Files truncated in place", m -> m.truncations);
    counter(sb, "logger_long_lines_total", "Lines split for exceeding the limit", m -> m.longLines);
    counter(sb, "logger_retries_total", "Backend requests retried", m -> m.retries);
    counter(sb, "logger_rejected_lines_total", "Lines the backend refused", m -> m.rejected);
    counter(
        sb,
        "logger_lost_files_total",
        "Rotated files removed before they were read",
        m -> m.lostFiles);
    counter(sb, "logger_checkpoint_errors_total", "Damaged or unsaved", m -> m.checkpointErrors);
    header(sb, "logger_queue_depth", "Lines read but not yet written by the output", "gauge");
    for (OutputMetrics m : outputs.values()) {
      sb.append("logger_queue_depth{output=\"")
          .append(m.output)
          .append("\"} ")
          .append(m.queueDepth.get())
          .append('\n');
    }
    perFile(sb, "logger_bytes_behind", "Bytes in the files not yet written", f -> f.bytesBehind());
    perFile(
        sb, "logger_lag_seconds", "Seconds since the output last caught up", f -> f.lagSeconds());
    return sb.toString();
  }

  private void counter(
      StringBuilder sb, String name, String help, Function<OutputMetrics, LongAdder> value) {
    header(sb, name, help, "counter");
    for (OutputMetrics m : outputs.values()) {
      sb.append(name)
          .append("{output=\"")
          .append(m.output)
          .append("\"} ")
          .append(value.apply(m).sum())
          .append('\n');
    }
  }

  private void perFile(
      StringBuilder sb, String name, String help, ToDoubleFunction<FileFollower> value) {
    header(sb, name, help, "gauge");
    for (OutputMetrics m : outputs.values()) {
      for (FileFollower f : m.followers) {
        sb.append(name)
            .append("{output=\"")
            .append(m.output)
            .append("\",file=\"")
            .append(Json.escape(f.followed().toString()))
            .append("\"} ")
            .append(value.applyAsDouble(f))
            .append('\n');
      }
    }
  }

  private static void header(StringBuilder sb, String name, String help, String type) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }
}
