package io.podreload.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** Replaces a file's content so that readers see the old or the new bytes, never a mix. */
public final class AtomicFiles {

  private static final long PID = ProcessHandle.current().pid();
  private static final AtomicLong TEMPS = new AtomicLong();
  private static final Set<OpenOption> NEW_FILE =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

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
    Path temp =
        dir.resolve(
            "." + target.getFileName() + "." + PID + "." + TEMPS.incrementAndGet() + ".tmp");
    // Four system calls (open, write, close, rename) when all goes well: on the acknowledgement's
    // path each one costs, and a stat, a mkdir, a second open and an unlink cost as much as the
    // rest together.
    boolean renamed = false;
    try (FileChannel channel = openNew(temp, dir, target)) {
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (durable) {
        channel.force(true);
      }
      channel.close();
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      renamed = true;
    } finally {
      if (!renamed) {
        Files.deleteIfExists(temp);
      }
    }
    if (durable) {
      try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
        directory.force(true);
      }
    }
  }

  /**
   * The temp file, new and only the owner's (0600, as {@link Files#createTempFile} made it): its
   * name is this process's and counts up, so it exists only when a process of the same pid died
   * before renaming it; such a leftover is replaced.
   */
  private static FileChannel openNew(Path temp, Path dir, Path target) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return FileChannel.open(temp, NEW_FILE, OWNER_ONLY);
      } catch (NoSuchFileException e) {
        if (attempt > 0) {
          throw e;
        }
        createDirectories(dir, target);
      } catch (FileAlreadyExistsException e) {
        if (attempt > 0) {
          throw e;
        }
        Files.delete(temp);
      } catch (AccessDeniedException e) {
        throw notWritable(target, dir, e);
      }
    }
  }

  private static void createDirectories(Path dir, Path target) throws IOException {
    try {
      Files.createDirectories(dir);
    } catch (AccessDeniedException e) {
      throw notWritable(target, dir, e);
    }
  }

  private static IOException notWritable(Path target, Path dir, AccessDeniedException e) {
    return new IOException(
        "cannot write " + target + ": directory " + dir + " is not writable by this user", e);
  }
}
