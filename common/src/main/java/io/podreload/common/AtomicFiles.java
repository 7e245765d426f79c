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
   * Writes {@code content} to a temp file beside {@code target}, flushes it to disk, renames it
   * over {@code target} and flushes the directory, which holds the rename: without that a power cut
   * can bring back the old file. Never truncates the target in place. For state that must survive a
   * crash of the machine (checkpoints).
   *
   * @throws IOException with a message that names the directory when it is not writable
   */
  public static void write(Path target, byte[] content) throws IOException {
    replace(target, content, true);
  }

  /**
   * Like {@link #write} without waiting for the disk: readers still see the old or the new bytes,
   * but a crash of the machine may lose the new ones. For state that is rewritten when the process
   * starts again (the status file, on an acknowledgement's path, where an fsync costs
   * milliseconds).
   */
  public static void writeVolatile(Path target, byte[] content) throws IOException {
    replace(target, content, false);
  }

  private static void replace(Path target, byte[] content, boolean durable) throws IOException {
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
        if (durable) {
          channel.force(true);
        }
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      if (durable) {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
          directory.force(true);
        }
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
