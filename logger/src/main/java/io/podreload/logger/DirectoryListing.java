package io.podreload.logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a look at a followed file's directory saw: the file at the followed name and the files whose
 * names start with it ({@code access.log.1}, {@code access.log-20260101}), each with its inode, its
 * size, its modification time and its first bytes. {@link #read} is the only part that touches the
 * file system; {@link RotatedFileFinder} decides from what it saw.
 *
 * @param atFollowed the file at the followed name, or null when there is none
 * @param siblings the other files, in the directory's order
 */
record DirectoryListing(Path followed, Entry atFollowed, List<Entry> siblings) {

  /**
   * One file as it was seen.
   *
   * @param head its first bytes, at most {@link FileIdentity#FINGERPRINT_BYTES} (fewer only if it
   *     holds fewer); null if it could not be read (permission denied)
   */
  record Entry(
      Path path, long dev, long ino, boolean regular, long size, FileTime mtime, byte[] head) {
    long[] devIno() {
      return new long[] {dev, ino};
    }

    boolean readable() {
      return head != null;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e
          && path.equals(e.path)
          && dev == e.dev
          && ino == e.ino
          && regular == e.regular
          && size == e.size
          && mtime.equals(e.mtime)
          && Arrays.equals(head, e.head);
    }

    @Override
    public int hashCode() {
      return path.hashCode() * 31 + Long.hashCode(ino);
    }

    @Override
    public String toString() {
      return path + "(" + dev + ":" + ino + ", " + size + " bytes, " + mtime + ")";
    }
  }

  /** Looks at the directory of {@code followed} now. */
  static DirectoryListing read(Path followed) throws IOException {
    Entry at = entry(followed);
    List<Entry> siblings = new ArrayList<>();
    String prefix = followed.getFileName().toString();
    try (DirectoryStream<Path> dir =
        Files.newDirectoryStream(followed.getParent(), prefix + "?*")) {
      for (Path sibling : dir) {
        Entry e = entry(sibling);
        if (e != null) {
          siblings.add(e);
        }
      }
    } catch (NoSuchFileException e) {
      // no directory, no siblings
    }
    return new DirectoryListing(followed, at, List.copyOf(siblings));
  }

  /** {@code path} as it is now, or null if it is gone (or was replaced while it was looked at). */
  static Entry entry(Path path) throws IOException {
    long[] devIno = FileIdentity.devIno(path);
    if (devIno == null) {
      return null;
    }
    try {
      FileTime mtime = Files.getLastModifiedTime(path);
      if (!Files.isRegularFile(path)) {
        return new Entry(path, devIno[0], devIno[1], false, 0, mtime, new byte[0]);
      }
      byte[] head;
      long size;
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        size = ch.size();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(FileIdentity.FINGERPRINT_BYTES, size));
        while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
          // pread until full, or the file got shorter
        }
        head = Arrays.copyOf(buf.array(), buf.position());
      } catch (AccessDeniedException e) {
        return new Entry(path, devIno[0], devIno[1], true, Files.size(path), mtime, null);
      }
      if (!Arrays.equals(devIno, FileIdentity.devIno(path))) {
        return null; // replaced meanwhile: the next look sees the new one
      }
      return new Entry(path, devIno[0], devIno[1], true, size, mtime, head);
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
