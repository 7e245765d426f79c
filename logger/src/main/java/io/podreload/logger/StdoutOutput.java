package io.podreload.logger;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Each line to stdout: unchanged ({@code raw}) or wrapped with file, offset and time. */
final class StdoutOutput implements Output {
  private static final byte[] MARKER = SPLIT_MARKER.getBytes(StandardCharsets.UTF_8);
  private static final byte[] NEWLINE = {'\n'};
  // A batch of 256 KiB: each write to the pipe is large enough, and what is held stays small.
  private static final LoggerSettings.Batching BATCHING =
      new LoggerSettings.Batching(16 * 1024, 256 * 1024, java.time.Duration.ZERO);

  private final OutputStream out;
  private final LoggerSettings.Format format;
  private final byte[] buffer = new byte[64 * 1024]; // a pipe holds 64 KiB
  private final Metrics.OutputMetrics metrics;
  private int used;

  StdoutOutput(LoggerSettings.Format format, Metrics.OutputMetrics metrics) {
    this(new FileOutputStream(FileDescriptor.out), format, metrics);
  }

  StdoutOutput(OutputStream out, LoggerSettings.Format format, Metrics.OutputMetrics metrics) {
    this.out = out;
    this.format = format;
    this.metrics = metrics;
  }

  @Override
  public String name() {
    return "stdout";
  }

  @Override
  public LoggerSettings.Batching batching() {
    return BATCHING;
  }

  @Override
  public void write(Batch batch, StopSignal stopping) throws IOException {
    used = 0; // after a failed write, the whole batch is written again
    long bytes = 0;
    if (format == LoggerSettings.Format.RAW && batch.splitCount() == 0) {
      // The batch's buffer is its raw text, a newline after each line: one write.
      out.write(batch.data(), 0, batch.bytes());
      bytes = batch.bytes();
    } else {
      String time = format == LoggerSettings.Format.JSON ? Instant.now().toString() : null;
      for (int i = 0; i < batch.count(); i++) {
        if (format == LoggerSettings.Format.RAW) {
          put(batch.data(), batch.start(i), batch.length(i));
          if (batch.isSplit(i)) {
            put(MARKER, 0, MARKER.length);
          }
          bytes += batch.length(i) + 1;
        } else {
          StringBuilder sb = new StringBuilder(batch.length(i) + 128);
          sb.append("{\"time\":\"").append(time).append("\",\"file\":\"");
          Json.appendEscaped(sb, batch.file(i).toString());
          sb.append("\",\"offset\":").append(batch.offset(i)).append(",\"line\":");
          Json.appendString(sb, batch.data(), batch.start(i), batch.length(i));
          if (batch.isSplit(i)) {
            sb.append(",\"split\":true");
          }
          sb.append('}');
          byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
          put(json, 0, json.length);
          bytes += json.length + 1;
        }
        put(NEWLINE, 0, 1);
      }
    }
    flush();
    metrics.linesWritten.increment(batch.count());
    metrics.bytesWritten.increment(bytes);
  }

  private void put(byte[] src, int from, int length) throws IOException {
    if (length > buffer.length - used) {
      flush();
      if (length > buffer.length) {
        out.write(src, from, length);
        return;
      }
    }
    System.arraycopy(src, from, buffer, used, length);
    used += length;
  }

  private void flush() throws IOException {
    if (used > 0) {
      out.write(buffer, 0, used);
      used = 0;
    }
    out.flush();
  }
}
