package io.podreload.logger;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The logger's stdout, which {@code kubectl logs -c logger} shows: raw lines unchanged, or one JSON
 * object per line with the file, the offset and the time. Buffered: written in large chunks and
 * flushed when the input is drained. A slow reader blocks it, and with it the reading.
 */
final class StdoutOutput implements Output {

  private final OutputStream out;
  private final boolean json;

  StdoutOutput(boolean json) {
    this(new FileOutputStream(FileDescriptor.out), json);
  }

  StdoutOutput(OutputStream out, boolean json) {
    this.out = new BufferedOutputStream(out, 1 << 16);
    this.json = json;
  }

  @Override
  public String name() {
    return "stdout";
  }

  @Override
  public void line(Path file, long fileOffset, byte[] bytes, int offset, int length)
      throws IOException {
    if (!json) {
      out.write(bytes, offset, length);
      out.write('\n');
      return;
    }
    String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
    StringBuilder line = new StringBuilder(length + 96);
    line.append("{\"file\":\"");
    JsonStringEncoder.getInstance().quoteAsString(file.toString(), line);
    line.append("\",\"offset\":").append(fileOffset).append(",\"time\":\"").append(Instant.now());
    line.append("\",\"line\":\"");
    JsonStringEncoder.getInstance().quoteAsString(text, line);
    line.append("\"}\n");
    out.write(line.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }
}
