package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files seen at the followed name, on real files renamed as a rotator does. */
class NameWatchTest {
  @TempDir Path dir;

  final AtomicInteger rotations = new AtomicInteger();

  /**
   * The followed file, written at {@code log} and renamed away as a rotator does, with a new file
   * holding {@code next} at the name now.
   */
  private FileIdentity rotatedAway(Path log, String next) throws IOException {
    Files.writeString(log, "old\n");
    FileIdentity followed = identity(log);
    Files.move(log, dir.resolve("access.log.1"));
    Files.writeString(log, next);
    return followed;
  }

  private static FileIdentity identity(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return FileIdentity.of(FileIdentity.devIno(file), ch);
    }
  }

  @Test
  void theOpenFileAtTheNameIsNothingNew() throws IOException {
    Path log = dir.resolve("access.log");
    Files.writeString(log, "one\n");
    FileIdentity open = identity(log);
    NameWatch watch = new NameWatch(log, rotations::incrementAndGet);
    assertThat(watch.look(open)).isFalse();
    Files.move(log, dir.resolve("access.log.1"));
    assertThat(watch.look(open)).as("nothing at the name").isFalse();
    assertThat(watch.pending()).isEmpty();
  }

  @Test
  void eachNewFileAtTheNameIsPendingOnceInOrderAndEachThatLeftIsARotation() throws IOException {
    Path log = dir.resolve("access.log");
    Files.writeString(log, "one\n");
    FileIdentity open = identity(log);
    NameWatch watch = new NameWatch(log, rotations::incrementAndGet);
    watch.atName(FileIdentity.devIno(log));
    Files.move(log, dir.resolve("access.log.1"));
    Files.writeString(log, "two\n");
    FileIdentity second = identity(log);
    assertThat(watch.look(open)).isTrue();
    assertThat(watch.look(open)).as("seen already").isFalse();
    assertThat(rotations).hasValue(1);
    Files.move(log, dir.resolve("access.log.0"));
    Files.writeString(log, "three\n");
    assertThat(watch.look(open)).isTrue();
    assertThat(rotations).hasValue(2);
    assertThat(watch.pending()).containsExactly(second, identity(log));
  }

  @Test
  void aPendingFileGrowingAtTheNameIsKnownByMoreBytesAndItsLossByItsLastSize() throws IOException {
    Path log = dir.resolve("access.log");
    FileIdentity open = rotatedAway(log, "a\n");
    NameWatch watch = new NameWatch(log, rotations::incrementAndGet);
    assertThat(watch.look(open)).isTrue();
    assertThat(rotations).as("nothing was seen at the name before").hasValue(0);
    Files.writeString(log, "bcdef\n", StandardOpenOption.APPEND);
    assertThat(watch.look(open)).isFalse();
    FileIdentity grown = watch.pending().iterator().next();
    assertThat(grown.fingerprintLength()).isEqualTo(8);
    assertThat(grown).isEqualTo(identity(log));
    assertThat(watch.lost(grown)).isEqualTo(8);
    assertThat(watch.pending()).isEmpty();
  }

  @Test
  void anOpenedFileIsNoLongerPendingAndClearForgetsAll() throws IOException {
    Path log = dir.resolve("access.log");
    FileIdentity open = rotatedAway(log, "new\n");
    NameWatch watch = new NameWatch(log, rotations::incrementAndGet);
    watch.look(open);
    FileIdentity next = identity(log);
    watch.opened(new long[] {next.dev(), next.ino()});
    assertThat(watch.pending()).isEmpty();
    assertThat(watch.lost(next)).as("its size is forgotten too").isZero();
    Files.move(log, dir.resolve("access.log.0"));
    Files.writeString(log, "newer\n");
    assertThat(watch.look(open)).isTrue();
    watch.clear();
    assertThat(watch.pending()).isEmpty();
    assertThat(watch.lost(identity(log))).isZero();
  }
}
