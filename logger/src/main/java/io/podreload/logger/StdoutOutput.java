package io.podreload.logger;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * Each line to stdout: unchanged ({@code raw}) or wrapped with file, offset and time, written on
 * the pipeline's thread as {@code tail} does: a raw batch is its own text and goes out in one call,
 * and nothing is handed between threads. (A writer thread that wrote one batch while the next was
 * read cost 1.3-1.7 times the CPU per line in hand-offs and wake-ups, and no speed, behind the
 * pipe's 64 KiB.) A write that fails part way is resumed from its first unwritten byte by the next
 * call: a line already out is never written twice.
 */
final class StdoutOutput implements Output {
  private static final byte[] MARKER = SPLIT_MARKER.getBytes(StandardCharsets.UTF_8);
  // A batch of 128 KiB: each write to the pipe is large enough, and what is held stays small:
  // 256 KiB measured 1 MiB more RSS and no faster.
  private static final LoggerSettings.Batching BATCHING =
      new LoggerSettings.Batching(16 * 1024, 128 * 1024, java.time.Duration.ZERO);

  private final WritableByteChannel out;
  private final LoggerSettings.Format format;
  private final Metrics.OutputMetrics metrics;

  /** The text of formatted batches (not raw, or with split lines), reused. */
  private Text text;

  /** What a failed write left: written first by the next call. Null: nothing. */
  private ByteBuffer unwritten;

  private int unwrittenLines;

  StdoutOutput(LoggerSettings.Format format, Metrics.OutputMetrics metrics) {
    this(new FileOutputStream(FileDescriptor.out).getChannel(), format, metrics);
  }

  StdoutOutput(
      WritableByteChannel out, LoggerSettings.Format format, Metrics.OutputMetrics metrics) {
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

  /**
   * Writes the batch. Throws when what a write before left could not be written now either (this
   * batch is then not taken). A write of this batch that fails part way does not throw: the batch
   * is taken (its first lines are out), its rest is kept, and the next call writes it or throws.
   */
  @Override
  public void write(Batch batch, StopSignal stopping) throws IOException {
    awaitWritten();
    int lines = batch.count();
    ByteBuffer bytes;
    if (format == LoggerSettings.Format.RAW && batch.splitCount() == 0) {
      // The batch's buffer is its raw text, a newline after each line.
      bytes = ByteBuffer.wrap(batch.data(), 0, batch.bytes());
    } else {
      if (text == null) {
        text = new Text(new byte[batch.bytes() + 1024]);
      }
      text.size = 0;
      format(batch, text);
      bytes = ByteBuffer.wrap(text.data, 0, text.size);
    }
    try {
      writeFully(bytes);
    } catch (IOException | RuntimeException e) {
      // the pipeline reuses the batch's buffer (and the next call the text's): keep the rest
      metrics.bytesWritten.increment(bytes.position());
      byte[] rest = new byte[bytes.remaining()];
      bytes.get(rest);
      unwritten = ByteBuffer.wrap(rest);
      unwrittenLines = lines;
      return;
    }
    written(lines, bytes.limit());
  }

  private void format(Batch batch, Text text) {
    String time = format == LoggerSettings.Format.JSON ? Instant.now().toString() : null;
    for (int i = 0; i < batch.count(); i++) {
      if (format == LoggerSettings.Format.RAW) {
        text.put(batch.data(), batch.start(i), batch.length(i));
        if (batch.isSplit(i)) {
          text.put(MARKER, 0, MARKER.length);
        }
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
        text.put(json, 0, json.length);
      }
      text.put(NEWLINE, 0, 1);
    }
  }

  private static final byte[] NEWLINE = {'\n'};

  /** A growing byte array. */
  private static final class Text {
    byte[] data;
    int size;

    Text(byte[] data) {
      this.data = data;
    }

    void put(byte[] src, int from, int length) {
      if (size + length > data.length) {
        data = Arrays.copyOf(data, Math.max(size + length, data.length * 2));
      }
      System.arraycopy(src, from, data, size, length);
      size += length;
    }
  }

  /**
   * Returns once everything taken is out: writes here what a failed write left, from its first
   * unwritten byte, and throws if that fails again.
   */
  @Override
  public void awaitWritten() throws IOException {
    if (unwritten == null) {
      return;
    }
    writeFully(unwritten);
    written(unwrittenLines, unwritten.limit());
    unwritten = null;
  }

  /** Writes until nothing is left; on a failure the buffer's position is the first byte not out. */
  private void writeFully(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      out.write(bytes);
    }
  }

  private void written(int lines, int bytes) {
    metrics.linesWritten.increment(lines);
    metrics.bytesWritten.increment(bytes);
  }
}
