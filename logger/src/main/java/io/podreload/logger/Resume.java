package io.podreload.logger;

import io.podreload.logger.RotatedFileFinder.Match;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a follower continues after a start with a checkpoint: a pure decision from the checkpoint
 * and one look at the followed file's directory ({@link DirectoryListing}), which {@link
 * FileFollower} carries out. It reads nothing, so it is tested without a file system.
 *
 * @param how what to do
 * @param file for {@link How#CONTINUE}: the checkpoint's file as the look saw it (at the name,
 *     renamed next to it, or the copy copytruncate left of it); null otherwise
 * @param offset for {@link How#CONTINUE}: where to continue in {@code file}
 * @param lineIdInode for {@link How#CONTINUE}: the device and inode the lines keep in their ids.
 *     The checkpoint file's, also when its lines are read from a copy, so that lines read from the
 *     original before a kill -9 keep their ids
 * @param rotated for {@link How#CONTINUE}: {@code file} is no longer at the followed name (renamed
 *     away, or a copy): it is read to its end, then the files rotated after it, then the name
 * @param earlier the files next to the followed name that come before the checkpoint's (read, or
 *     older): never read again
 */
record Resume(
    How how,
    DirectoryListing.Entry file,
    long offset,
    long[] lineIdInode,
    boolean rotated,
    List<FileIdentity> earlier) {

  /** The outcomes of a start with a checkpoint. */
  enum How {
    /** Open {@link #file} and read on from {@link #offset}. */
    CONTINUE,
    /**
     * Nothing of the checkpoint's file was read (offset 0): its identity may name only an inode (it
     * was empty), or first bytes without a whole line, which another file may have by now. Read the
     * files that are not earlier than it from their start, oldest first (it among them, wherever it
     * is now), then the name.
     */
    NOTHING_READ,
    /**
     * The checkpoint's file is gone (removed, or truncated in place while the logger was stopped):
     * what it held unread is lost. Its inode may be a new file's, so it is not looked for by inode
     * alone: as for {@link #NOTHING_READ}, the files rotated after it come first, then the name.
     */
    FILE_GONE
  }

  /** Decides where to continue from {@code cp}, given what {@code listing} saw. */
  static Resume from(Checkpoint cp, DirectoryListing listing) throws AccessDeniedException {
    List<FileIdentity> earlier = earlier(cp, listing);
    if (cp.offset() == 0) {
      return new Resume(How.NOTHING_READ, null, 0, null, false, earlier);
    }
    Optional<DirectoryListing.Entry> found =
        new RotatedFileFinder(listing, earlier)
            .find(cp.identity(), cp.offset(), Match.SAME_INODE_OR_COPY);
    if (found.isEmpty()) {
      return new Resume(How.FILE_GONE, null, 0, null, false, earlier);
    }
    DirectoryListing.Entry file = found.get();
    // the checkpoint's inode: the same as the file's, or the original's when this is its copy
    long[] lineIdInode = {cp.identity().dev(), cp.identity().ino()};
    boolean rotated =
        !cp.identity().sameInode(file.devIno()) || !file.path().equals(listing.followed());
    return new Resume(How.CONTINUE, file, cp.offset(), lineIdInode, rotated, earlier);
  }

  /**
   * The files that came before the checkpoint's: as it kept them, or for a checkpoint saved before
   * it kept them, the files modified before it was.
   */
  private static List<FileIdentity> earlier(Checkpoint cp, DirectoryListing listing)
      throws AccessDeniedException {
    if (cp.earlier() != null) {
      return List.copyOf(cp.earlier());
    }
    List<FileIdentity> earlier = new ArrayList<>();
    for (FileIdentity f :
        new RotatedFileFinder(listing, List.of()).modifiedBefore(cp.modifiedMillis())) {
      addEarlier(earlier, f);
    }
    return List.copyOf(earlier);
  }

  /** Adds {@code done} to {@code earlier}, in place of what its inode held before. */
  static void addEarlier(List<FileIdentity> earlier, FileIdentity done) {
    // an empty file names only an inode, which a new file may take: it is left out
    if (done.fingerprintLength() > 0) {
      earlier.removeIf(e -> e.dev() == done.dev() && e.ino() == done.ino());
      earlier.add(done);
    }
  }
}
