package io.podreload.logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The logger's meters: {@code logger_lines_read_total}, {@code logger_bytes_read_total}, {@code
 * logger_lines_written_total{output}}, {@code logger_rotations_total}, {@code
 * logger_truncations_total}, {@code logger_long_lines_total}, plus the gauges the shipper registers
 * ({@code logger_bytes_behind}, {@code logger_lag_seconds}).
 */
final class LoggerMetrics {

  private final Counter linesRead;
  private final Counter bytesRead;
  private final Counter rotations;
  private final Counter truncations;
  private final Counter longLines;
  private final MeterRegistry registry;

  LoggerMetrics(MeterRegistry registry) {
    this.registry = registry;
    linesRead = registry.counter("logger.lines.read");
    bytesRead = registry.counter("logger.bytes.read");
    rotations = registry.counter("logger.rotations");
    truncations = registry.counter("logger.truncations");
    longLines = registry.counter("logger.long.lines");
  }

  MeterRegistry registry() {
    return registry;
  }

  void linesRead(int n) {
    linesRead.increment(n);
  }

  void bytesRead(int n) {
    bytesRead.increment(n);
  }

  void rotation() {
    rotations.increment();
  }

  void truncation() {
    truncations.increment();
  }

  void longLine() {
    longLines.increment();
  }

  /** Counts what an output writes, by its name. */
  Output counted(Output output) {
    Counter lines = registry.counter("logger.lines.written", "output", output.name());
    Counter bytes = registry.counter("logger.bytes.written", "output", output.name());
    return new Output() {
      @Override
      public String name() {
        return output.name();
      }

      @Override
      public void line(java.nio.file.Path file, long fileOffset, byte[] b, int offset, int length)
          throws java.io.IOException {
        output.line(file, fileOffset, b, offset, length);
        lines.increment();
        bytes.increment(length + 1);
      }

      @Override
      public void flush() throws java.io.IOException {
        output.flush();
      }
    };
  }
}
