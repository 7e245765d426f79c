package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.logger.EndOfFileCheck.Outcome;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each outcome of the check at the end of the open file, from facts given by hand, and which facts
 * it asked for: the costly ones (a read of the first bytes, a look at the directory or the name)
 * only when the answer depends on them. Then where the file at the name is read from after a
 * finished one, on real files.
 */
class EndOfFileCheckTest {
  @TempDir Path dir;

  /** Facts that are true when named in the constructor; each question asked is recorded. */
  static final class GivenFacts implements EndOfFileCheck.Facts {
    final Set<String> trueOnes;
    final List<String> asked = new ArrayList<>();

    GivenFacts(String... trueOnes) {
      this.trueOnes = Set.of(trueOnes);
    }

    private boolean ask(String fact) {
      asked.add(fact);
      return trueOnes.contains(fact);
    }

    @Override
    public boolean openIsOriginal() {
      return ask("original");
    }

    @Override
    public boolean shrunk() {
      return ask("shrunk");
    }

    @Override
    public boolean firstBytesChanged() {
      return ask("firstBytesChanged");
    }

    @Override
    public boolean copiedWithinItsFirstLine() {
      return ask("copiedWithinItsFirstLine");
    }

    @Override
    public boolean rotatedAway() {
      return ask("rotatedAway");
    }

    @Override
    public boolean writerQuiet() {
      return ask("writerQuiet");
    }

    @Override
    public boolean newFileAtName() {
      return ask("newFileAtName");
    }
  }

  @Test
  void anUnchangedFileAtTheNameIsReadOn() throws IOException {
    GivenFacts facts = new GivenFacts("original");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.KEEP_READING);
    assertThat(facts.asked)
        .containsExactly(
            "original",
            "shrunk",
            "firstBytesChanged",
            "copiedWithinItsFirstLine",
            "rotatedAway",
            "newFileAtName");
  }

  @Test
  void aSizeDropIsATruncationWithoutReadingTheFirstBytes() throws IOException {
    GivenFacts facts = new GivenFacts("original", "shrunk", "firstBytesChanged");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.TRUNCATED);
    assertThat(facts.asked).containsExactly("original", "shrunk");
  }

  @Test
  void changedFirstBytesAreATruncationWithoutALookAtTheDirectory() throws IOException {
    GivenFacts facts = new GivenFacts("original", "firstBytesChanged", "copiedWithinItsFirstLine");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.TRUNCATED);
    assertThat(facts.asked).containsExactly("original", "shrunk", "firstBytesChanged");
  }

  @Test
  void aCopyWithinTheFirstLineIsATruncation() throws IOException {
    GivenFacts facts = new GivenFacts("original", "copiedWithinItsFirstLine", "rotatedAway");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.TRUNCATED);
  }

  @Test
  void theCopyCopytruncateLeftIsNeverTruncatedUnderTheFollower() throws IOException {
    GivenFacts facts = new GivenFacts("shrunk", "firstBytesChanged", "rotatedAway", "writerQuiet");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.SWITCH_NOW);
    assertThat(facts.asked).containsExactly("original", "rotatedAway", "writerQuiet");
  }

  @Test
  void aRotatedFileWhoseWriterMayStillWriteIsWaitedFor() throws IOException {
    GivenFacts facts = new GivenFacts("original", "rotatedAway", "newFileAtName");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.WAIT_FOR_ROTATED_WRITER);
    assertThat(facts.asked).doesNotContain("newFileAtName");
  }

  @Test
  void aQuietRotatedFileIsFinishedAndTheNextOneOpened() throws IOException {
    GivenFacts facts = new GivenFacts("original", "rotatedAway", "writerQuiet");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.SWITCH_NOW);
  }

  @Test
  void aNewFileAtTheNameIsReadAfterTheOpenOneIsFinished() throws IOException {
    GivenFacts facts = new GivenFacts("original", "newFileAtName", "writerQuiet");
    assertThat(EndOfFileCheck.decide(facts)).isEqualTo(Outcome.ROTATED_FINISH_THEN_SWITCH);
    assertThat(facts.asked).doesNotContain("writerQuiet");
  }

  @Test
  void bytesReadAfterATruncationAndNewWritesAreTold() throws IOException {
    assertThat(EndOfFileCheck.writtenAgain(new GivenFacts("original", "firstBytesChanged")))
        .isTrue();
    assertThat(EndOfFileCheck.writtenAgain(new GivenFacts("original", "copiedWithinItsFirstLine")))
        .isTrue();
    GivenFacts unchanged = new GivenFacts("original", "shrunk");
    assertThat(EndOfFileCheck.writtenAgain(unchanged)).as("a size drop is not asked").isFalse();
    assertThat(unchanged.asked).doesNotContain("shrunk");
    GivenFacts copy = new GivenFacts("firstBytesChanged");
    assertThat(EndOfFileCheck.writtenAgain(copy)).as("a copy is never written again").isFalse();
    assertThat(copy.asked).containsExactly("original");
  }

  /**
   * Where the file at the name holding {@code atName} is read from after one holding {@code done}.
   */
  private long startAfter(String done, String atName, boolean sameInode) throws IOException {
    Path finished = Files.writeString(dir.resolve("access.log.1"), done);
    Path name = Files.writeString(dir.resolve("access.log"), atName);
    try (FileChannel a = FileChannel.open(finished, StandardOpenOption.READ);
        FileChannel b = FileChannel.open(name, StandardOpenOption.READ)) {
      long[] doneDevIno = FileIdentity.devIno(sameInode ? name : finished);
      return EndOfFileCheck.startAfter(
          new EndOfFileCheck.Finished(a, done.length(), doneDevIno), FileIdentity.devIno(name), b);
    }
  }

  @Test
  void aFileAtTheNameThatBeginsWithTheFinishedCopyIsReadAfterIt() throws IOException {
    String copied = "first line\n".repeat(40); // more than a fingerprint: both edges compared
    assertThat(startAfter(copied, copied + "after the copy\n", false)).isEqualTo(copied.length());
    assertThat(startAfter("short\n", "short\nmore\n", false)).isEqualTo(6);
    assertThat(startAfter(copied, copied, false))
        .as("exactly the copy, nothing written after it yet")
        .isEqualTo(copied.length());
  }

  @Test
  void anyOtherFileAtTheNameIsReadFromItsStart() throws IOException {
    String copied = "first line\n".repeat(40);
    assertThat(startAfter(copied, copied, true)).as("the same file").isZero();
    assertThat(startAfter("", "new\n", false)).as("nothing finished").isZero();
    assertThat(startAfter(copied, "first line\n", false)).as("shorter").isZero();
    assertThat(startAfter(copied, "other line\n" + copied, false)).as("other start").isZero();
    String otherEnd = copied.substring(0, copied.length() - 5) + "XXXX\n";
    assertThat(startAfter(copied, otherEnd + "more\n", false)).as("other end").isZero();
  }
}
