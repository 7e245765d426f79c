package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a start continues from its checkpoint, decided from a directory listing written by hand: no
 * file system, only what a look at the directory would have seen.
 */
class ResumeTest {
  private static final Path DIR = Path.of("/var/log/app");
  private static final Path LOG = DIR.resolve("access.log");

  private DirectoryListing.Entry atFollowed;
  private final List<DirectoryListing.Entry> siblings = new ArrayList<>();

  private static DirectoryListing.Entry file(String name, long ino, long mtime, String content) {
    byte[] all = content.getBytes(StandardCharsets.UTF_8);
    byte[] head = Arrays.copyOf(all, Math.min(all.length, FileIdentity.FINGERPRINT_BYTES));
    return new DirectoryListing.Entry(
        DIR.resolve(name), 1, ino, true, all.length, FileTime.fromMillis(mtime), head);
  }

  private static FileIdentity identity(DirectoryListing.Entry e) {
    return FileIdentity.of(e.devIno(), e.head());
  }

  /** A checkpoint of {@code file} at {@code offset}, saved at time 1500. */
  private static Checkpoint at(
      DirectoryListing.Entry file, long offset, List<FileIdentity> earlier) {
    return new Checkpoint(LOG, file.path(), identity(file), offset, 1500, earlier);
  }

  private Resume resume(Checkpoint cp) throws Exception {
    return Resume.from(cp, new DirectoryListing(LOG, atFollowed, siblings));
  }

  @Test
  void theFileStillAtTheNameIsContinuedAtTheOffsetAndIsNotRotated() throws Exception {
    Checkpoint cp = at(file("access.log", 10, 1000, "a1\na2\n"), 3, List.of());
    atFollowed = file("access.log", 10, 2000, "a1\na2\na3\n");
    siblings.add(file("access.log.1", 9, 500, "older\n"));
    Resume r = resume(cp);
    assertContinues(r, LOG, false);
    assertThat(r.offset()).isEqualTo(3);
  }

  @Test
  void aFileRenamedAwayWhileStoppedIsContinuedWhereItIsNowAsRotated() throws Exception {
    Checkpoint cp = at(file("access.log", 10, 1000, "a1\na2\n"), 3, List.of());
    atFollowed = file("access.log", 11, 2000, "b1\n");
    siblings.add(file("access.log.1", 10, 1000, "a1\na2\n"));
    Resume r = resume(cp);
    assertContinues(r, DIR.resolve("access.log.1"), true);
    assertThat(r.offset()).isEqualTo(3);
  }

  @Test
  void theCopyCopytruncateLeftIsReadAsRotatedAndItsLinesKeepTheOriginalsInode() throws Exception {
    Checkpoint cp = at(file("access.log", 10, 1000, "a1\na2\n"), 3, List.of());
    atFollowed = file("access.log", 10, 2000, "c1\n"); // truncated and written again
    siblings.add(file("access.log.1", 20, 1800, "a1\na2\na3\n"));
    Resume r = resume(cp);
    assertContinues(r, DIR.resolve("access.log.1"), true);
    assertThat(r.file().devIno()).containsExactly(1, 20);
  }

  @Test
  void aFileTruncatedInPlaceOrWhoseInodeWasTakenIsGone() throws Exception {
    Checkpoint cp = at(file("access.log", 10, 1000, "a1\na2\n"), 6, List.of());
    atFollowed = file("access.log", 10, 2000, "a1\n"); // shorter than what was read
    assertThat(resume(cp).how()).isEqualTo(Resume.How.FILE_GONE);
    atFollowed = file("access.log", 10, 2000, "x1\nx2\nx3\n"); // another file, same inode
    assertThat(resume(cp).how()).isEqualTo(Resume.How.FILE_GONE);
    assertThat(resume(cp).file()).isNull();
  }

  @Test
  void aCheckpointAtOffsetZeroIsNotContinuedEvenIfItsInodeIsAtTheName() throws Exception {
    // saved while the file was empty: its identity names only an inode, which a new file may hold
    Checkpoint cp = at(file("access.log", 10, 1000, ""), 0, List.of());
    atFollowed = file("access.log", 10, 2000, "new1\n");
    Resume r = resume(cp);
    assertThat(r.how()).isEqualTo(Resume.How.NOTHING_READ);
    assertThat(r.file()).isNull();
  }

  @Test
  void theEarlierFilesAreTheCheckpointsOwnWhenItKeptThem() throws Exception {
    FileIdentity kept = identity(file("access.log.3", 7, 100, "kept\n"));
    Checkpoint cp = at(file("access.log", 10, 1000, "a1\n"), 3, List.of(kept));
    atFollowed = file("access.log", 10, 2000, "a1\n");
    siblings.add(file("access.log.1", 8, 900, "modified before the checkpoint\n"));
    assertThat(resume(cp).earlier()).containsExactly(kept);
  }

  @Test
  void anOldCheckpointTakesTheNonEmptyFilesModifiedBeforeItForTheEarlierOnes() throws Exception {
    Checkpoint cp = at(file("access.log", 10, 1000, "a1\n"), 3, null);
    atFollowed = file("access.log", 10, 2000, "a1\n");
    DirectoryListing.Entry before = file("access.log.2", 8, 900, "before\n");
    siblings.add(before);
    siblings.add(file("access.log.3", 7, 800, "")); // empty: names only an inode
    siblings.add(file("access.log.1", 9, 1600, "after the checkpoint\n"));
    assertThat(resume(cp).earlier()).containsExactly(identity(before));
  }

  @Test
  void anEarlierFileTakesThePlaceOfWhatItsInodeHeldBeforeAndAnEmptyOneIsLeftOut() {
    FileIdentity other = identity(file("access.log.2", 7, 100, "other\n"));
    FileIdentity before = identity(file("access.log.1", 8, 100, "first content\n"));
    FileIdentity reused = identity(file("access.log.1", 8, 200, "second content\n"));
    List<FileIdentity> earlier = new ArrayList<>(List.of(other, before));
    Resume.addEarlier(earlier, reused);
    assertThat(earlier).containsExactly(other, reused);
    Resume.addEarlier(earlier, identity(file("access.log.3", 9, 300, "")));
    assertThat(earlier).containsExactly(other, reused);
  }

  /** Continues in the file at {@code path}, its lines' ids keeping the checkpoint's inode 10. */
  private static void assertContinues(Resume r, Path path, boolean rotated) {
    assertThat(r.how()).isEqualTo(Resume.How.CONTINUE);
    assertThat(r.file().path()).isEqualTo(path);
    assertThat(r.lineIdInode()).containsExactly(1, 10);
    assertThat(r.rotated()).isEqualTo(rotated);
  }
}
