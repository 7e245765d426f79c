package io.podreload.logger;

import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Finds a followed file and its rotated siblings in one look at their directory ({@link
 * DirectoryListing}): a file known by its identity wherever it was renamed to, the copy
 * copytruncate left of it, and the files not read yet, oldest first. A pure function of the listing
 * and of the identities it is given: it reads nothing, so it is tested without a file system.
 */
final class RotatedFileFinder {

  /** How {@link #find} recognises a file. */
  enum Match {
    /** The same inode with the same first bytes (renamed). */
    SAME_INODE,
    /** That, or else any file with the same first bytes (a copy). */
    SAME_INODE_OR_COPY,
    /** Another inode with the same first bytes: what copytruncate left. */
    COPY
  }

  /**
   * A file to read before the followed name.
   *
   * @param remembered seen at the followed name before it was renamed away
   */
  record Candidate(
      Path path, FileIdentity identity, FileTime mtime, long rank, boolean remembered) {}

  /** Oldest first; on equal times (coarse clocks) the higher rotation number is the older. */
  static final Comparator<Candidate> ROTATION_ORDER =
      Comparator.comparing(Candidate::mtime)
          .thenComparing(Comparator.comparingLong(Candidate::rank).reversed());

  /**
   * The files to read before the followed name, oldest first, and what the listing no longer holds.
   *
   * @param gone remembered files that are nowhere: removed before they were read
   * @param forgotten earlier files that are gone: they can neither be read again nor be mistaken
   *     for another file
   */
  record Unread(List<Candidate> files, List<FileIdentity> gone, List<FileIdentity> forgotten) {}

  private final DirectoryListing listing;
  private final List<FileIdentity> earlier;

  /**
   * @param earlier the files next to the followed one that come before the open one (read, or
   *     older): never read again
   */
  RotatedFileFinder(DirectoryListing listing, List<FileIdentity> earlier) {
    this.listing = listing;
    this.earlier = earlier;
  }

  DirectoryListing listing() {
    return listing;
  }

  /**
   * The file holding {@code id} with at least {@code minSize} bytes: at the followed name or next
   * to it. A copy is recognised by its first bytes only when there are some: an empty fingerprint
   * matches all.
   */
  Optional<DirectoryListing.Entry> find(FileIdentity id, long minSize, Match how) {
    boolean sameInode = how != Match.COPY;
    boolean copies = how != Match.SAME_INODE && id.fingerprintLength() > 0;
    if (sameInode && matches(listing.atFollowed(), id, minSize, false)) {
      return Optional.of(listing.atFollowed());
    }
    DirectoryListing.Entry byContent = null;
    Candidate byContentOrder = null;
    for (DirectoryListing.Entry sibling : listing.siblings()) {
      if (sameInode && matches(sibling, id, minSize, false)) {
        return Optional.of(sibling);
      }
      if (copies && matches(sibling, id, minSize, true)) {
        // A copy made while following (COPY) is a file that came after the ones read. A copy
        // looked for after a restart is known by its first bytes only: these must hold a whole
        // line, since many files begin with the same few bytes (a date), and a checkpoint may
        // have seen the first line half written.
        boolean known =
            how == Match.COPY
                ? !isEarlier(sibling)
                : FileIdentity.holdsALine(
                    sibling.head(), sibling.head().length, id.fingerprintLength());
        // of several (copied again since), the oldest holds the lines that come next
        Candidate c =
            new Candidate(
                sibling.path(),
                new FileIdentity(0, 0, 0, 0),
                sibling.mtime(),
                rank(sibling.path()),
                false);
        if (known && (byContentOrder == null || ROTATION_ORDER.compare(c, byContentOrder) < 0)) {
          byContent = sibling;
          byContentOrder = c;
        }
      }
    }
    return Optional.ofNullable(byContent);
  }

  /** The file with this device and inode at the followed name or next to it (renamed), or null. */
  DirectoryListing.Entry withInode(long[] devIno) {
    return find(new FileIdentity(devIno[0], devIno[1], 0, 0), 0, Match.SAME_INODE).orElse(null);
  }

  /** Same inode (or, for a copy, another inode) with the same first bytes and long enough. */
  private static boolean matches(
      DirectoryListing.Entry e, FileIdentity id, long minSize, boolean anyInode) {
    if (e == null || !e.regular() || !e.readable()) {
      return false;
    }
    if (anyInode ? id.sameInode(e.devIno()) : !id.sameInode(e.devIno())) {
      return false;
    }
    return e.size() >= minSize && id.sameContentStart(e.head());
  }

  /** True if the file is one of the earlier files (inode and first bytes). */
  boolean isEarlier(DirectoryListing.Entry e) {
    for (FileIdentity f : earlier) {
      if (f.sameInode(e.devIno()) && (!e.readable() || f.sameContentStart(e.head()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The files to read before the followed name, oldest first: the remembered ones ({@code pending},
   * seen at the name, wherever they are now) and the files next to the name that are neither at it,
   * nor open ({@code openDevIno}, null when none is), nor earlier, nor compressed.
   */
  Unread unread(Collection<FileIdentity> pending, long[] openDevIno) throws AccessDeniedException {
    List<Candidate> found = new ArrayList<>();
    List<FileIdentity> gone = new ArrayList<>();
    DirectoryListing.Entry at = listing.atFollowed();
    long[] atFollowed = at == null ? null : at.devIno();
    for (FileIdentity p : pending) {
      if (p.sameInode(atFollowed)) {
        continue; // still at the path: read last, as the followed file
      }
      Optional<DirectoryListing.Entry> now = find(p, 0, Match.SAME_INODE);
      if (now.isEmpty()) {
        gone.add(p);
        continue;
      }
      found.add(
          new Candidate(now.get().path(), p, now.get().mtime(), rank(now.get().path()), true));
    }
    for (DirectoryListing.Entry sibling : listing.siblings()) {
      long[] devIno = sibling.devIno();
      if (Arrays.equals(devIno, atFollowed)
          || Arrays.equals(devIno, openDevIno)
          || found.stream().anyMatch(c -> c.identity().sameInode(devIno))
          || !sibling.regular()
          || isCompressed(sibling.path())
          || isEarlier(sibling)) {
        continue;
      }
      FileIdentity id = identity(sibling);
      if (id.fingerprintLength() == 0) {
        continue;
      }
      found.add(new Candidate(sibling.path(), id, sibling.mtime(), rank(sibling.path()), false));
    }
    List<FileIdentity> forgotten = new ArrayList<>();
    for (FileIdentity e : earlier) {
      if (!e.sameInode(openDevIno)
          && !e.sameInode(atFollowed)
          && listing.siblings().stream().noneMatch(s -> e.sameInode(s.devIno()))) {
        forgotten.add(e);
      }
    }
    found.sort(ROTATION_ORDER);
    return new Unread(found, gone, forgotten);
  }

  /**
   * The files next to the followed name as {@code earlier} keeps them: not compressed, not empty.
   */
  List<FileIdentity> siblingIdentities() throws AccessDeniedException {
    List<FileIdentity> all = new ArrayList<>();
    for (DirectoryListing.Entry sibling : listing.siblings()) {
      if (sibling.regular() && !isCompressed(sibling.path())) {
        FileIdentity id = identity(sibling);
        if (id.fingerprintLength() > 0) {
          all.add(id);
        }
      }
    }
    return all;
  }

  /** The files next to the followed name last modified before {@code millis}. */
  List<FileIdentity> modifiedBefore(long millis) throws AccessDeniedException {
    List<FileIdentity> all = new ArrayList<>();
    for (DirectoryListing.Entry sibling : listing.siblings()) {
      if (sibling.mtime().toMillis() < millis) {
        all.add(identity(sibling));
      }
    }
    return all;
  }

  /**
   * The files next to the followed name, of at most {@code maxSize} bytes, whose first line is the
   * one {@code lineIdPrefix} names for the file {@code dev:ino}: copies of it that hold nothing
   * more than what was read.
   */
  List<FileIdentity> copiesWithFirstLine(String lineIdPrefix, long dev, long ino, long maxSize) {
    List<FileIdentity> all = new ArrayList<>();
    for (DirectoryListing.Entry sibling : listing.siblings()) {
      if (sibling.readable()
          && sibling.size() <= maxSize
          && lineIdPrefix.equals(
              FileIdentity.lineIdPrefix(dev, ino, sibling.head(), sibling.head().length, true))) {
        all.add(FileIdentity.of(sibling.devIno(), sibling.head()));
      }
    }
    return all;
  }

  private static FileIdentity identity(DirectoryListing.Entry e) throws AccessDeniedException {
    if (!e.readable()) {
      throw new AccessDeniedException(e.path().toString());
    }
    return FileIdentity.of(e.devIno(), e.head());
  }

  private long rank(Path sibling) {
    return rank(listing.followed(), sibling);
  }

  /** The rotation number of {@code access.log.3} (3) next to {@code access.log}, or -1. */
  static long rank(Path followed, Path sibling) {
    String suffix =
        sibling.getFileName().toString().substring(followed.getFileName().toString().length());
    try {
      return suffix.startsWith(".") ? Long.parseLong(suffix.substring(1)) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static boolean isCompressed(Path p) {
    String name = p.getFileName().toString();
    return name.matches(".*\\.(gz|bz2|xz|zst|lz4|zip|Z)$");
  }
}
