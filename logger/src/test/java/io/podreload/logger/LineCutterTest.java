package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutting a file's bytes into lines, in process, from bytes in memory: no file involved. */
class LineCutterTest {
  private static final Path FILE = Path.of("/var/log/app/access.log");

  /** A file's bytes in memory, appended to as a writer does; reads as a FileChannel does. */
  private final ByteArrayOutputStream file = new ByteArrayOutputStream();

  private final Batch batch = new Batch();
  private final List<String> out = new ArrayList<>();
  private final List<Long> offsets = new ArrayList<>();
  private final List<Boolean> split = new ArrayList<>();

  private int reads;

  private int read(ByteBuffer into, long position) {
    reads++;
    byte[] all = file.toByteArray();
    if (position >= all.length) {
      return -1; // as FileChannel.read at or past the end
    }
    int n = (int) Math.min(into.remaining(), all.length - position);
    into.put(all, (int) position, n);
    return n;
  }

  private void append(String text) {
    file.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads and cuts until nothing more comes, as the follower does at each poll. */
  private void readAll(LineCutter cutter, int maxLines) throws Exception {
    while (true) {
      cutter.emitLines(batch, FILE, "key", maxLines, 1 << 20);
      if (batch.count() >= maxLines) {
        drain();
        continue;
      }
      if (cutter.fill(this::read, n -> true) <= 0) {
        cutter.emitLines(batch, FILE, "key", maxLines, 1 << 20);
        break;
      }
    }
    drain();
  }

  private void drain() {
    for (int i = 0; i < batch.count(); i++) {
      out.add(new String(batch.data(), batch.start(i), batch.length(i), StandardCharsets.UTF_8));
      offsets.add(batch.offset(i));
      split.add(batch.isSplit(i));
    }
    batch.clear();
  }

  @Test
  void completeLinesComeOutWithTheirOffsetsAndAHalfWrittenOneWaits() throws Exception {
    LineCutter cutter = new LineCutter(1024);
    append("GET / 200\nGET /config 200\nGET /he");
    readAll(cutter, 1000);
    assertThat(out).containsExactly("GET / 200", "GET /config 200");
    assertThat(offsets).containsExactly(0L, 10L);
    assertThat(cutter.consumed()).isEqualTo(26);
    assertThat(cutter.readPosition()).isEqualTo(33);
    assertThat(cutter.hasRest()).isTrue();
    append("alth 200\n");
    readAll(cutter, 1000);
    assertThat(out).containsExactly("GET / 200", "GET /config 200", "GET /health 200");
    assertThat(offsets).containsExactly(0L, 10L, 26L);
    assertThat(cutter.hasRest()).isFalse();
    assertThat(cutter.linesTaken()).isEqualTo(3);
    assertThat(cutter.bytesTaken()).isEqualTo(42);
  }

  @Test
  void aLastLineWithoutNewlineComesOutWhenAsked() throws Exception {
    LineCutter cutter = new LineCutter(1024);
    append("one\ntwo");
    readAll(cutter, 1000);
    cutter.emitRest(batch, FILE, "key");
    drain();
    assertThat(out).containsExactly("one", "two");
    assertThat(offsets).containsExactly(0L, 4L);
    assertThat(split).containsExactly(false, false);
    assertThat(cutter.consumed()).isEqualTo(7);
    assertThat(cutter.hasRest()).isFalse();
  }

  @Test
  void aFullBatchStopsTheCutAndTheNextOneGoesOnWhereItStopped() throws Exception {
    LineCutter cutter = new LineCutter(1024);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      text.append("line ").append(i).append('\n');
    }
    append(text.toString());
    cutter.fill(this::read, n -> true);
    cutter.emitLines(batch, FILE, "key", 3, 1 << 20);
    assertThat(batch.count()).isEqualTo(3);
    assertThat(cutter.consumed()).isEqualTo(21);
    drain();
    readAll(cutter, 3);
    assertThat(out).hasSize(10).startsWith("line 0").endsWith("line 9");
    assertThat(offsets.get(9)).isEqualTo(63L);
  }

  @Test
  void anOverLongLineIsCutInMarkedPiecesBeforeAUtf8SequenceAndCountedOnce() throws Exception {
    LineCutter cutter = new LineCutter(10);
    // "é" is two bytes: the tenth and eleventh; the first piece ends before it
    append("before\n123456789é123456789012\nafter\n");
    readAll(cutter, 1000);
    assertThat(out).containsExactly("before", "123456789", "é12345678", "9012", "after");
    assertThat(split).containsExactly(false, true, true, false, false);
    assertThat(offsets).containsExactly(0L, 7L, 16L, 26L, 31L);
    assertThat(cutter.longLines()).isEqualTo(1);
    cutter.resetCounts();
    assertThat(cutter.longLines()).isZero();
    assertThat(cutter.linesTaken()).isZero();
  }

  @Test
  void aLineLongerThanTheReadAheadGrowsTheBufferAndShrinksItBack() throws Exception {
    int maxLine = 3 * LineCutter.READ_BYTES;
    LineCutter cutter = new LineCutter(maxLine);
    String longLine = "x".repeat(2 * LineCutter.READ_BYTES + 5);
    append(longLine + "\nshort\n");
    readAll(cutter, 1000);
    assertThat(out).containsExactly(longLine, "short");
    assertThat(split).containsExactly(false, false);
    assertThat(cutter.longLines()).isZero();
    // once the long line is out the buffer is a read-ahead again: reads of at most READ_BYTES
    append("y".repeat(LineCutter.READ_BYTES * 2) + "\n");
    int before = reads;
    readAll(cutter, 1000);
    assertThat(out).hasSize(3);
    assertThat(reads - before).isGreaterThanOrEqualTo(3);
  }

  @Test
  void bytesTheCheckRefusesAreDroppedAndReadAgainAfterARestart() throws Exception {
    LineCutter cutter = new LineCutter(1024);
    append("old 1\nold 2\n");
    assertThat(cutter.fill(this::read, n -> false)).isEqualTo(-1);
    assertThat(cutter.readPosition()).isZero();
    assertThat(cutter.hasRest()).isFalse();
    readAll(cutter, 1000);
    assertThat(out).containsExactly("old 1", "old 2");
    cutter.restart(6);
    readAll(cutter, 1000);
    assertThat(out).containsExactly("old 1", "old 2", "old 2");
    assertThat(offsets).containsExactly(0L, 6L, 6L);
  }
}
