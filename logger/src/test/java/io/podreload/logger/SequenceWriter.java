package io.podreload.logger;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes numbered lines to a file the way the app writes its access log (append, one write per
 * line), and rotates it the two ways a log is rotated in the field.
 */
final class SequenceWriter implements AutoCloseable {
  private final Path file;
  private OutputStream out;
  private int next;

  SequenceWriter(Path file) throws IOException {
    this.file = file;
    this.out = new FileOutputStream(file.toFile(), true);
  }

  static String line(int n) {
    return String.format("seq %08d GET /items?id=%d 200 1ms", n, n);
  }

  static List<String> expected(int from, int to) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add(line(i));
    }
    return lines;
  }

  void write(int count) throws IOException {
    for (int i = 0; i < count; i++) {
      out.write((line(next++) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  int written() {
    return next;
  }

  /** Closes the file and opens its name again, as an app does when told the log was rotated. */
  void reopen() throws IOException {
    out.close();
    out = new FileOutputStream(file.toFile(), true);
  }

  /** Rename rotation: access.log.1 becomes .2, access.log becomes .1, a new access.log. */
  void rotateByRename() throws IOException {
    out.close();
    Path first = file.resolveSibling(file.getFileName() + ".1");
    if (Files.exists(first)) {
      Files.move(
          first,
          file.resolveSibling(file.getFileName() + ".2"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(file, first);
    out = new FileOutputStream(file.toFile(), true);
  }

  /** copytruncate: copy the file aside, then truncate it in place; the writer keeps its fd. */
  void rotateByCopyTruncate() throws IOException {
    out.flush();
    Files.copy(
        file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
    try (var ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(0);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
