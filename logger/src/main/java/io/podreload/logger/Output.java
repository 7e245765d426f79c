package io.podreload.logger;

import java.io.IOException;
import java.nio.file.Path;

/** Where lines go. One writer thread calls it; {@link #flush()} makes every line before durable. */
interface Output {

  /** Its name in checkpoints and metrics. */
  String name();

  /** One complete line, without its newline: {@code bytes[offset, offset + length)}. */
  void line(Path file, long fileOffset, byte[] bytes, int offset, int length) throws IOException;

  void flush() throws IOException;
}
