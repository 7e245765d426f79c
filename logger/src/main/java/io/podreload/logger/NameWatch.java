package io.podreload.logger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The files seen at the followed name since the open file left it, oldest first: each is read from
 * its start, wherever it was renamed to, before the next. Each keeps the size it had when last
 * seen, which is what its loss would be if it were removed before it was read. A new file at the
 * name means that the one seen there before left it: one rotation, counted here. A file found next
 * to the name that was never seen at it is counted when it is opened instead, so each file that
 * leaves counts once.
 */
final class NameWatch {
  private final Path followed;
  private final Runnable rotation;
  private final Deque<FileIdentity> pending = new ArrayDeque<>();
  private final Map<List<Long>, Long> sizes = new HashMap<>();

  /** Device and inode of the last file seen at the name (null before any). */
  private long[] lastAtName;

  /** Watches {@code followed}; {@code rotation} is told each time a file seen there left it. */
  NameWatch(Path followed, Runnable rotation) {
    this.followed = followed;
    this.rotation = rotation;
  }

  /**
   * Looks at the name: a file there that is neither {@code open} nor one seen already is added to
   * the files to read after the open one, and true is returned. The newest one seen, still there,
   * gets a longer fingerprint while it grows (a longer one finds it surely once renamed) and its
   * size noted.
   */
  boolean look(FileIdentity open) throws IOException {
    long[] atName = FileIdentity.devIno(followed);
    if (atName == null || open.sameInode(atName)) {
      return false;
    }
    FileIdentity last = pending.peekLast();
    if (last != null && last.sameInode(atName)) {
      if (last.fingerprintLength() < FileIdentity.FINGERPRINT_BYTES) {
        FileIdentity grown = identityAt(followed, atName);
        if (grown != null) {
          pending.removeLast();
          pending.addLast(grown);
        }
      }
      noteSize(atName);
      return false;
    }
    FileIdentity seen = identityAt(followed, atName);
    if (seen == null) {
      return false; // gone again; the next look sees what replaced it
    }
    pending.addLast(seen);
    noteSize(atName);
    if (lastAtName != null) {
      rotation.run(); // the file seen at the name before left it
    }
    lastAtName = atName;
    return true;
  }

  /** The files seen at the name and not read yet, oldest first. */
  Collection<FileIdentity> pending() {
    return pending;
  }

  /** Forgets {@code gone}, a pending file removed before it was read; returns its last size. */
  long lost(FileIdentity gone) {
    pending.remove(gone);
    return sizes.getOrDefault(List.of(gone.dev(), gone.ino()), 0L);
  }

  /** The file with {@code devIno} is opened: it is no longer pending. */
  void opened(long[] devIno) {
    pending.removeIf(p -> p.sameInode(devIno));
    sizes.remove(List.of(devIno[0], devIno[1]));
  }

  /** The followed name itself is opened (or about to be): nothing before it is pending. */
  void clear() {
    pending.clear();
    sizes.clear();
  }

  /** The file with {@code devIno} is the one at the name: the next other file there left it. */
  void atName(long[] devIno) {
    lastAtName = devIno;
  }

  private void noteSize(long[] devIno) {
    try {
      sizes.put(List.of(devIno[0], devIno[1]), Files.size(followed));
    } catch (IOException e) {
      // renamed meanwhile: the size seen before stays
    }
  }

  /** The identity of the file at {@code path} if it still has {@code devIno}, else null. */
  private static FileIdentity identityAt(Path path, long[] devIno) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return Arrays.equals(devIno, FileIdentity.devIno(path)) ? FileIdentity.of(devIno, ch) : null;
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
