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
 * Each line to stdout: unchanged ({@code raw}) or wrapped with file, offset and time. A batch is
 * turned into the bytes to write and handed to a writer thread, so that the pipeline reads the next
 * one while this one waits for the reader of the pipe (the container runtime) to take it; at most
 * one batch is in flight. A write that fails part way is resumed from its first unwritten byte: a
 * line already out is never written twice.
 */
final class StdoutOutput implements Output {
  private static final byte[] MARKER = SPLIT_MARKER.getBytes(StandardCharsets.UTF_8);
  // A batch of 128 KiB: each write to the pipe is large enough, and what is held (the batch, and
  // the one in flight) stays small: 256 KiB measured 1 MiB more RSS and no faster.
  private static final LoggerSettings.Batching BATCHING =
      new LoggerSettings.Batching(16 * 1024, 128 * 1024, java.time.Duration.ZERO);

  private final WritableByteChannel out;
  private final LoggerSettings.Format format;
  private final Metrics.OutputMetrics metrics;

  // The pipeline's thread only: the text handed over last, free again once it is written, to
  // take the next batch's text (raw) or to format the next batch into.
  private byte[] spare;

  // The batch in flight: written by the writer thread, or, after that failed, by the next call.
  private final Object lock = new Object();
  private ByteBuffer pending; // guarded by lock, as are the fields up to writer; null: none
  private int pendingLines;
  private IOException failure;
  private boolean closed;
  private Thread writer;

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
   * Hands the batch to the writer thread and returns: {@link #awaitWritten} says when it is out.
   * Throws when the batch handed over before could not be written (this one is then not taken).
   */
  @Override
  public void write(Batch batch, StopSignal stopping) throws IOException, InterruptedException {
    awaitWritten(); // the one in flight is out (or this throws, and the pipeline keeps this one)
    int lines = batch.count();
    if (format == LoggerSettings.Format.RAW && batch.splitCount() == 0) {
      // The batch's buffer is its raw text, a newline after each line: taken, not copied.
      int length = batch.bytes();
      spare = batch.takeText(spare);
      handOver(ByteBuffer.wrap(spare, 0, length), lines);
    } else {
      Text text = new Text(spare != null ? spare : new byte[batch.bytes() + 1024]);
      format(batch, text);
      spare = text.data;
      handOver(ByteBuffer.wrap(text.data, 0, text.size), lines);
    }
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

  private void handOver(ByteBuffer text, int lines) {
    synchronized (lock) {
      pending = text;
      pendingLines = lines;
      if (writer == null) {
        writer = new Thread(this::writeHandedOver, "stdout-writer");
        writer.setDaemon(true);
        writer.start();
      }
      lock.notifyAll();
    }
  }

  /**
   * Returns once the batch in flight is out. When the writer thread's write failed, writes the rest
   * here, from the first byte not yet out, so that a failure reaches the pipeline's backoff.
   */
  @Override
  public void awaitWritten() throws IOException, InterruptedException {
    ByteBuffer rest;
    synchronized (lock) {
      while (pending != null && failure == null) {
        lock.wait();
      }
      if (pending == null) {
        return;
      }
      rest = pending;
    }
    writeFully(rest);
    synchronized (lock) {
      written();
    }
  }

  /** The writer thread: writes each batch handed over; a failure is left to the next call. */
  private void writeHandedOver() {
    while (true) {
      ByteBuffer text;
      synchronized (lock) {
        while (!closed && (pending == null || failure != null)) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        text = pending;
      }
      try {
        writeFully(text);
        synchronized (lock) {
          written();
        }
      } catch (IOException | RuntimeException e) {
        synchronized (lock) {
          failure = e instanceof IOException io ? io : new IOException(e);
          lock.notifyAll();
        }
      }
    }
  }

  /** Writes until nothing is left; on a failure the buffer's position is the first byte not out. */
  private void writeFully(ByteBuffer text) throws IOException {
    while (text.hasRemaining()) {
      out.write(text);
    }
  }

  /** Under lock: the batch in flight is out. */
  private void written() {
    metrics.linesWritten.increment(pendingLines);
    metrics.bytesWritten.increment(pending.limit());
    pending = null;
    failure = null;
    lock.notifyAll();
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
  }
}
