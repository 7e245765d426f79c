package io.podreload.logger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The batch's line cutting (eight bytes a step) agrees with a byte-by-byte one, and what it keeps
 * per run gives every line its file and offset back.
 */
class BatchTest {
  static final Path FILE = Path.of("/var/log/app/access.log");
  static final Path OTHER = Path.of("/var/log/app/error.log");

  static long word(byte[] eight) {
    return ByteBuffer.wrap(eight).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  @Test
  void aNewlineIsFlaggedAtEveryPositionOfAWordAndNothingElse() {
    for (int at = 0; at < 8; at++) {
      for (byte other : new byte[] {'x', 0x0B, 0x09, (byte) 0x8A, 0x00, (byte) 0xFF, 0x0A - 1}) {
        byte[] b = new byte[8];
        Arrays.fill(b, other);
        b[at] = '\n';
        long flags = Batch.newlines(word(b));
        assertThat(flags).as("newline at %d among 0x%02x", at, other).isEqualTo(0x80L << (at * 8));
        assertThat(Batch.firstFlagged(flags)).isEqualTo(at);
        assertThat(Batch.wordAt(b, 0, 8)).isEqualTo(flags);
        assertThat(Batch.wordAt(b, 0, at)).as("bytes from to on are not scanned").isZero();
      }
    }
    byte[] all = "\n\n\n\n\n\n\n\n".getBytes(UTF_8);
    assertThat(Batch.newlines(word(all))).isEqualTo(0x8080808080808080L);
    assertThat(Batch.wordAt(all, 0, 3)).isEqualTo(0x808080L);
    // at the end of an array, where no eight bytes can be read
    assertThat(Batch.wordAt("x\n\n".getBytes(UTF_8), 0, 3)).isEqualTo(0x808000L);
    assertThat(Batch.wordAt(all, 5, 8)).isEqualTo(0x808080L);
  }

  /** Lines as a byte-by-byte scan cuts them: [start, end) of each complete line. */
  static List<int[]> naiveLines(byte[] b, int from, int to) {
    List<int[]> lines = new ArrayList<>();
    int start = from;
    for (int i = from; i < to; i++) {
      if (b[i] == '\n') {
        lines.add(new int[] {start, i});
        start = i + 1;
      }
    }
    return lines;
  }

  @Test
  void randomBytesAreCutAsAByteByByteScanCutsThem() {
    Random random = new Random(42);
    for (int round = 0; round < 5000; round++) {
      byte[] b = new byte[random.nextInt(200)];
      random.nextBytes(b);
      for (int i = 0; i < b.length; i++) {
        if (random.nextInt(12) == 0) {
          b[i] = '\n';
        }
      }
      int from = b.length == 0 ? 0 : random.nextInt(b.length);
      int to = from + random.nextInt(b.length - from + 1);
      int maxLines = 1 + random.nextInt(20);
      int maxBytes = 1 + random.nextInt(150);
      int maxLine = 1 + random.nextInt(40);

      // what the batch should take: lines while it has room, up to the first over-long one
      List<int[]> expected = new ArrayList<>();
      int bytes = 0;
      for (int[] line : naiveLines(b, from, to)) {
        if (expected.size() >= maxLines || bytes >= maxBytes || line[1] - line[0] > maxLine) {
          break;
        }
        expected.add(line);
        bytes += line[1] - line[0] + 1;
      }

      // the caller may know that some bytes at the start hold no newline
      int firstNewline = from;
      while (firstNewline < to && b[firstNewline] != '\n') {
        firstNewline++;
      }
      int scanFrom = from + random.nextInt(firstNewline - from + 1);

      Batch batch = new Batch();
      int taken =
          batch.addLines(FILE, "1:2", 1000, b, from, scanFrom, to, maxLines, maxBytes, maxLine);
      String context = "round " + round;
      assertThat(taken).as(context).isEqualTo(bytes);
      assertThat(batch.count()).as(context).isEqualTo(expected.size());
      assertThat(batch.bytes()).as(context).isEqualTo(bytes);
      for (int i = 0; i < expected.size(); i++) {
        int[] line = expected.get(i);
        assertThat(batch.length(i)).as(context).isEqualTo(line[1] - line[0]);
        assertThat(batch.offset(i)).as(context).isEqualTo(1000 + line[0] - from);
        assertThat(batch.file(i)).isEqualTo(FILE);
        assertThat(
                Arrays.copyOfRange(
                    batch.data(), batch.start(i), batch.start(i) + line[1] - line[0] + 1))
            .as(context)
            .isEqualTo(Arrays.copyOfRange(b, line[0], line[1] + 1));
      }
    }
  }

  @Test
  void scanningStartsWhereTheCallerSaysNoNewlineIsBefore() {
    byte[] b = "ab\ncd\nef\n".getBytes(UTF_8);
    Batch batch = new Batch();
    // the caller knows "ab\ncd" holds no newline: the first line taken ends at the one after "cd"
    int taken = batch.addLines(FILE, "1:2", 0, b, 0, 5, b.length, 10, 1000, 1000);
    assertThat(taken).isEqualTo(9);
    assertThat(batch.count()).isEqualTo(2);
    assertThat(batch.length(0)).isEqualTo(5);
  }

  @Test
  void linesFromTwoFilesAndPiecesOfALongLineKeepTheirFilesAndOffsets() {
    Batch batch = new Batch();
    byte[] a = "one\ntwo\n".getBytes(UTF_8);
    byte[] piece = "0123456789".getBytes(UTF_8);
    byte[] rest = "abc\nfour\n".getBytes(UTF_8);
    byte[] e = "err\n".getBytes(UTF_8);
    String src = "1:2";
    assertThat(batch.addLines(FILE, src, 100, a, 0, 0, a.length, 100, 1 << 20, 1000)).isEqualTo(8);
    batch.add(FILE, src, 108, piece, 0, piece.length, true); // a line longer than 10 bytes
    assertThat(batch.addLines(FILE, src, 118, rest, 0, 0, rest.length, 100, 1 << 20, 1000))
        .isEqualTo(9);
    assertThat(batch.addLines(OTHER, "3:4", 7, e, 0, 0, e.length, 100, 1 << 20, 1000)).isEqualTo(4);
    batch.add(OTHER, "3:4", 11, "tail".getBytes(UTF_8), 0, 4, false); // a last line, no newline

    assertThat(new String(batch.data(), 0, batch.bytes(), UTF_8))
        .isEqualTo("one\ntwo\n0123456789\nabc\nfour\nerr\ntail\n");
    long[] offsets = {100, 104, 108, 118, 122, 7, 11};
    Path[] files = {FILE, FILE, FILE, FILE, FILE, OTHER, OTHER};
    boolean[] split = {false, false, true, false, false, false, false};
    assertThat(batch.count()).isEqualTo(7);
    assertThat(batch.splitCount()).isEqualTo(1);
    for (int i = 0; i < 7; i++) {
      assertThat(batch.offset(i)).as("line %d", i).isEqualTo(offsets[i]);
      assertThat(batch.file(i)).as("line %d", i).isEqualTo(files[i]);
      assertThat(batch.source(i)).isEqualTo(i < 5 ? "1:2" : "3:4");
      assertThat(batch.isSplit(i)).as("line %d", i).isEqualTo(split[i]);
    }
  }
}
