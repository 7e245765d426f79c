package io.podreload.logger;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Each line to stdout: unchanged ({@code raw}) or wrapped with file, offset and time. A raw batch
 * is handed to a writer thread, so that the pipeline reads the next one while this one waits for
 * the reader of the pipe (the container runtime) to take it; at most one batch is in flight.
 */
final class StdoutOutput implements Output {
  private static final byte[] MARKER = SPLIT_MARKER.getBytes(StandardCharsets.UTF_8);
  private static final byte[] NEWLINE = {'\n'};
  // A batch of 128 KiB: each write to the pipe is large enough, and what is held (the batch, and
  // the one in flight) stays small: 256 KiB measured 1 MiB more RSS and no faster.
  private static final LoggerSettings.Batching BATCHING =
      new LoggerSettings.Batching(16 * 1024, 128 * 1024, java.time.Duration.ZERO);

  private final OutputStream out;
  private final LoggerSettings.Format format;
  private final byte[] buffer = new byte[64 * 1024]; // a pipe holds 64 KiB
  private final Metrics.OutputMetrics metrics;
  private int used;

  // The batch in flight: written by the writer thread, or, after that failed, by the next call.
  private final Object lock = new Object();
  // The batch's own buffer, taken from it rather than copied; the pipeline's thread only.
  private byte[] lastHandedOver;
  private byte[] pending; // guarded by lock, as are the fields up to closed
  private int pendingLength;
  private int pendingLines;
  private IOException failure;
  private boolean closed;
  private Thread writer;

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
  public void write(Batch batch, StopSignal stopping) throws IOException, InterruptedException {
    awaitWritten(); // the one in flight is out (or this throws, and the pipeline keeps this one)
    if (format == LoggerSettings.Format.RAW && batch.splitCount() == 0) {
      // The batch's buffer is its raw text, a newline after each line: one write, by the writer.
      handOver(batch);
      return;
    }
    used = 0; // after a failed write, the whole batch is written again
    long bytes = 0;
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
    flush();
    metrics.linesWritten.increment(batch.count());
    metrics.bytesWritten.increment(bytes);
  }

  private void handOver(Batch batch) {
    int length = batch.bytes();
    int lines = batch.count();
    // nothing is in flight (write() waited), so the text written last is free to take the next
    lastHandedOver = batch.takeText(lastHandedOver);
    synchronized (lock) {
      pending = lastHandedOver;
      pendingLength = length;
      pendingLines = lines;
      if (writer == null) {
        writer = new Thread(this::writeHandedOver, "stdout-writer");
        writer.setDaemon(true);
        writer.start();
      }
      lock.notifyAll();
    }
  }

  @Override
  public void awaitWritten() throws IOException, InterruptedException {
    byte[] failed;
    int length;
    synchronized (lock) {
      while (pending != null && failure == null) {
        lock.wait();
      }
      if (pending == null) {
        return;
      }
      failed = pending;
      length = pendingLength;
    }
    // The writer's write failed: again, here, so that a failure reaches the pipeline's backoff.
    out.write(failed, 0, length);
    out.flush();
    synchronized (lock) {
      written();
    }
  }

  /** The writer thread: writes each batch handed over; a failure is left to the next call. */
  private void writeHandedOver() {
    while (true) {
      byte[] data;
      int length;
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
        data = pending;
        length = pendingLength;
      }
      try {
        out.write(data, 0, length);
        out.flush();
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

  /** Under lock: the batch in flight is out. */
  private void written() {
    metrics.linesWritten.increment(pendingLines);
    metrics.bytesWritten.increment(pendingLength);
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
