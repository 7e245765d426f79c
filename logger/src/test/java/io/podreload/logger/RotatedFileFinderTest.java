package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.logger.RotatedFileFinder.Candidate;
import io.podreload.logger.RotatedFileFinder.Match;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Finding a followed file and its rotated siblings from a directory listing written by hand: no
 * file system, only what a look at the directory would have seen.
 */
class RotatedFileFinderTest {
  private static final Path DIR = Path.of("/var/log/app");
  private static final Path LOG = DIR.resolve("access.log");

  private DirectoryListing.Entry atFollowed;
  private final List<DirectoryListing.Entry> siblings = new ArrayList<>();
  private final List<FileIdentity> earlier = new ArrayList<>();

  private static DirectoryListing.Entry file(String name, long ino, long mtime, String content) {
    byte[] all = content.getBytes(StandardCharsets.UTF_8);
    byte[] head =
        java.util.Arrays.copyOf(all, Math.min(all.length, FileIdentity.FINGERPRINT_BYTES));
    return new DirectoryListing.Entry(
        DIR.resolve(name), 1, ino, true, all.length, FileTime.fromMillis(mtime), head);
  }

  private static FileIdentity identity(DirectoryListing.Entry e) {
    return FileIdentity.of(e.devIno(), e.head());
  }

  private RotatedFileFinder finder() {
    return new RotatedFileFinder(new DirectoryListing(LOG, atFollowed, siblings), earlier);
  }

  @Test
  void aRenamedFileIsFoundByItsInodeAndFirstBytesWhereverItIsNow() {
    DirectoryListing.Entry a = file("access.log", 10, 1000, "a1\na2\n");
    FileIdentity id = identity(a);
    atFollowed = file("access.log", 11, 2000, "b1\n");
    siblings.add(file("access.log.2", 12, 500, "older\n"));
    siblings.add(file("access.log.1", 10, 1000, "a1\na2\n"));
    assertThat(finder().find(id, 0, Match.SAME_INODE))
        .map(DirectoryListing.Entry::path)
        .contains(DIR.resolve("access.log.1"));
    assertThat(finder().withInode(new long[] {1, 10}).path())
        .isEqualTo(DIR.resolve("access.log.1"));
    // not shorter than what was read of it
    assertThat(finder().find(id, 7, Match.SAME_INODE)).isEmpty();
  }

  @Test
  void anInodeTakenByAnotherFileIsNotTheFileAnyMore() {
    FileIdentity id = identity(file("access.log", 10, 1000, "a1\na2\n"));
    siblings.add(file("access.log.1", 10, 3000, "new content\n"));
    assertThat(finder().find(id, 0, Match.SAME_INODE)).isEmpty();
  }

  @Test
  void theCopyCopytruncateLeftIsFoundByItsFirstBytesTheOldestOfSeveral() {
    DirectoryListing.Entry original = file("access.log", 10, 1000, "a1\na2\na3\n");
    FileIdentity id = identity(original);
    atFollowed = file("access.log", 10, 4000, "c1\n"); // truncated and written again
    siblings.add(file("access.log.1", 21, 3000, "a1\na2\na3\nb1\n"));
    siblings.add(file("access.log.2", 20, 2000, "a1\na2\na3\n"));
    assertThat(finder().find(id, 9, Match.COPY))
        .map(DirectoryListing.Entry::path)
        .contains(DIR.resolve("access.log.2"));
    // a copy shorter than what was read holds nothing unread
    assertThat(finder().find(id, 12, Match.COPY))
        .map(DirectoryListing.Entry::path)
        .contains(DIR.resolve("access.log.1"));
    // the copy of a file read before is no copy of this one
    earlier.add(identity(siblings.get(1)));
    earlier.add(identity(siblings.get(0)));
    assertThat(finder().find(id, 9, Match.COPY)).isEmpty();
  }

  @Test
  void afterARestartACopyCountsOnlyIfItsFirstBytesHoldAWholeLine() {
    // a checkpoint may have seen the first line half written: a date many files begin with
    FileIdentity halfLine = identity(file("access.log", 10, 1000, "2026-12-01"));
    siblings.add(file("access.log.1", 20, 2000, "2026-12-01T00:00 GET /\n"));
    assertThat(finder().find(halfLine, 0, Match.SAME_INODE_OR_COPY)).isEmpty();
    FileIdentity wholeLine = identity(file("access.log", 10, 1000, "2026-12-01T00:00 GET /\n"));
    assertThat(finder().find(wholeLine, 0, Match.SAME_INODE_OR_COPY))
        .map(DirectoryListing.Entry::path)
        .contains(DIR.resolve("access.log.1"));
  }

  @Test
  void anEmptyFingerprintFindsNoCopy() {
    FileIdentity empty = new FileIdentity(1, 10, 0, 0);
    siblings.add(file("access.log.1", 20, 2000, "x\n"));
    assertThat(finder().find(empty, 0, Match.SAME_INODE_OR_COPY)).isEmpty();
  }

  @Test
  void unreadFilesComeOldestFirstAndOnEqualTimesTheHigherNumberFirst() throws Exception {
    atFollowed = file("access.log", 1, 5000, "now\n");
    siblings.add(file("access.log.1", 2, 3000, "one\n"));
    siblings.add(file("access.log.3", 4, 3000, "three\n"));
    siblings.add(file("access.log.2", 3, 3000, "two\n"));
    siblings.add(file("access.log.4.gz", 5, 1000, "compressed"));
    siblings.add(file("access.log-old", 6, 2000, "dated\n"));
    siblings.add(file("access.log.5", 7, 1000, "")); // empty: nothing tells it apart
    RotatedFileFinder.Unread unread = finder().unread(List.of(), null);
    assertThat(unread.files())
        .extracting(c -> c.path().getFileName().toString())
        .containsExactly("access.log-old", "access.log.3", "access.log.2", "access.log.1");
    assertThat(unread.files()).noneMatch(Candidate::remembered);
    assertThat(RotatedFileFinder.rank(LOG, DIR.resolve("access.log-old"))).isEqualTo(-1);
  }

  @Test
  void earlierAndOpenFilesAreNotReadAgain() throws Exception {
    atFollowed = file("access.log", 1, 5000, "now\n");
    DirectoryListing.Entry read = file("access.log.2", 2, 3000, "read\n");
    siblings.add(read);
    siblings.add(file("access.log.1", 3, 4000, "open\n"));
    siblings.add(file("access.log.3", 4, 3500, "new in an old inode\n"));
    earlier.add(identity(read));
    earlier.add(new FileIdentity(1, 4, 4, 12345)); // its inode, other first bytes
    earlier.add(new FileIdentity(1, 99, 4, 12345)); // gone from the directory
    RotatedFileFinder.Unread unread = finder().unread(List.of(), new long[] {1, 3});
    assertThat(unread.files())
        .extracting(c -> c.path().getFileName().toString())
        .containsExactly("access.log.3");
    assertThat(unread.forgotten()).containsExactly(new FileIdentity(1, 99, 4, 12345));
  }

  @Test
  void rememberedFilesAreFoundWhereverTheyWentAndThoseRemovedAreGone() throws Exception {
    DirectoryListing.Entry b = file("access.log", 2, 2000, "b1\n");
    DirectoryListing.Entry c = file("access.log", 3, 3000, "c1\n");
    DirectoryListing.Entry d = file("access.log", 4, 4000, "d1\n");
    atFollowed = d;
    siblings.add(file("access.log.1", 3, 3000, "c1\n"));
    RotatedFileFinder.Unread unread =
        finder().unread(List.of(identity(b), identity(c), identity(d)), new long[] {1, 1});
    assertThat(unread.files())
        .extracting(Candidate::path)
        .containsExactly(DIR.resolve("access.log.1"));
    assertThat(unread.files()).allMatch(Candidate::remembered);
    assertThat(unread.gone()).containsExactly(identity(b)); // d is still at the name: read last
  }

  @Test
  void anUnreadableFileToReadIsAnErrorThatNamesIt() {
    siblings.add(
        new DirectoryListing.Entry(
            DIR.resolve("access.log.1"), 1, 2, true, 10, FileTime.fromMillis(1), null));
    assertThatThrownBy(() -> finder().unread(List.of(), null))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("access.log.1");
  }

  @Test
  void copiesHoldingNoMoreThanWhatWasReadAreKnownByTheirFirstLine() {
    DirectoryListing.Entry open = file("access.log", 10, 1000, "first\nsecond\n");
    String key = FileIdentity.lineIdPrefix(1, 10, open.head(), open.head().length, true);
    siblings.add(file("access.log.1", 20, 2000, "first\n"));
    siblings.add(file("access.log.2", 21, 2000, "first\nsecond\nthird\n"));
    siblings.add(file("access.log.3", 22, 2000, "other\n"));
    assertThat(finder().copiesWithFirstLine(key, 1, 10, 13))
        .extracting(FileIdentity::ino)
        .containsExactly(20L);
  }

  @Test
  void siblingsModifiedBeforeATimeAreTheEarlierOnesOfAnOldCheckpoint() throws Exception {
    siblings.add(file("access.log.1", 20, 2000, "one\n"));
    siblings.add(file("access.log.2", 21, 1000, "two\n"));
    assertThat(finder().modifiedBefore(1500)).extracting(FileIdentity::ino).containsExactly(21L);
    assertThat(finder().siblingIdentities())
        .extracting(FileIdentity::ino)
        .containsExactly(20L, 21L);
  }
}
