package io.podreload.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Replaces a file's content so that readers see the old or the new bytes, never a mix. */
public final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Writes {@code content} to a temp file beside {@code target}, flushes it to disk and renames it
   * over {@code target}. Never truncates the target in place.
   *
   * @throws IOException with a message that names the directory when it is not writable
   */
  public static void write(Path target, byte[] content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path temp;
    try {
      Files.createDirectories(dir);
      temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    } catch (AccessDeniedException e) {
      throw new IOException(
          "cannot write " + target + ": directory " + dir + " is not writable by this user", e);
    }
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
