package io.podreload.logger;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Lines read but not yet written, in one reusable buffer. Each line is stored followed by a newline
 * (also a last line that had none in its file), so that the buffer is the batch's raw text and raw
 * stdout writes it in one call; {@link #length} leaves the newline out. {@link #isSplit} marks a
 * piece of an over-long line that continues in the next one.
 *
 * <p>Per line only where it ends is kept. The rest is kept per run: lines copied in one piece from
 * one file, whose bytes in the buffer are the file's bytes, so a line's offset in its file follows
 * from its place in the buffer.
 */
final class Batch {
  private static final int INITIAL_BYTES = 64 * 1024;

  private byte[] data = new byte[INITIAL_BYTES];
  private int size;
  private int count;
  private long firstAddedNanos;

  /** Per line: the index in {@link #data} of the newline after it. */
  private int[] ends = new int[1024];

  /** The lines that are pieces of an over-long line, ascending. */
  private int[] splitLines = new int[16];

  private int splitCount;

  private int runs;
  private int[] runFirstLine = new int[16];
  private long[] runOffset = new long[16]; // where the run's first line starts in its file
  private Path[] runFile = new Path[16];
  private String[] runSource = new String[16];

  /**
   * Appends the complete lines at the start of {@code src[from, to)} in one copy, stopping after
   * the last complete line, when the batch holds {@code maxLines} lines or {@code maxBytes} bytes,
   * or before a line longer than {@code maxLine} (the caller cuts it). {@code src[from, scanFrom)}
   * is known to hold no newline. Returns the bytes taken, each line's newline included.
   */
  int addLines(
      Path file,
      String source,
      long offset,
      byte[] src,
      int from,
      int scanFrom,
      int to,
      int maxLines,
      int maxBytes,
      int maxLine) {
    if (count >= maxLines || size >= maxBytes) {
      return 0;
    }
    int base = size - from; // a byte's index in data, less its index in src
    int lineStart = from;
    int n = count;
    // Eight-byte reads at indexes that are multiples of eight, which are aligned addresses: C1
    // compiles an unaligned one to several smaller reads. Bytes before scanFrom are masked off.
    int i = scanFrom & -Long.BYTES;
    long found = wordAt(src, i, to) & (-1L << ((scanFrom - i) * 8));
    scan:
    while (true) {
      while (found != 0) {
        int nl = i + firstFlagged(found);
        if (nl - lineStart > maxLine) {
          break scan;
        }
        roomForLine(n);
        ends[n++] = nl + base;
        lineStart = nl + 1;
        if (n >= maxLines || lineStart + base >= maxBytes) {
          break scan;
        }
        found &= found - 1; // the next newline in this word
      }
      i += Long.BYTES;
      if (i >= to) {
        break;
      }
      found = i + Long.BYTES <= to ? newlines((long) LONGS.get(src, i)) : wordAt(src, i, to);
    }
    int taken = lineStart - from;
    if (taken > 0) {
      startRun(file, source, offset);
      ensureRoom(taken);
      System.arraycopy(src, from, data, size, taken);
      size += taken;
      count = n;
    }
    return taken;
  }

  /** Appends one line (or piece of one) from {@code src}, and the newline it lacks there. */
  void add(
      Path file, String source, long offset, byte[] src, int from, int length, boolean isSplit) {
    startRun(file, source, offset);
    ensureRoom(length + 1);
    System.arraycopy(src, from, data, size, length);
    size += length;
    data[size] = '\n';
    roomForLine(count);
    ends[count] = size++;
    if (isSplit) {
      if (splitCount == splitLines.length) {
        splitLines = Arrays.copyOf(splitLines, splitCount * 2);
      }
      splitLines[splitCount++] = count;
    }
    count++;
  }

  /**
   * Lines from here on are at {@code offset} in {@code file}, unless they continue the last run.
   */
  private void startRun(Path file, String source, long offset) {
    if (count == 0) {
      firstAddedNanos = System.nanoTime();
    }
    if (runs > 0) {
      int last = runs - 1;
      if (runFile[last] == file
          && runSource[last] == source
          && runOffset[last] + (size - start(runFirstLine[last])) == offset) {
        return; // the bytes follow on in the same file
      }
    }
    if (runs == runFirstLine.length) {
      int n = runs * 2;
      runFirstLine = Arrays.copyOf(runFirstLine, n);
      runOffset = Arrays.copyOf(runOffset, n);
      runFile = Arrays.copyOf(runFile, n);
      runSource = Arrays.copyOf(runSource, n);
    }
    runFirstLine[runs] = count;
    runOffset[runs] = offset;
    runFile[runs] = file;
    runSource[runs] = source;
    runs++;
  }

  private void roomForLine(int line) {
    if (line == ends.length) {
      ends = Arrays.copyOf(ends, line * 2);
    }
  }

  private void ensureRoom(int more) {
    if (size + more > data.length) {
      // doubling, then by 1 MiB: a 4 MiB batch must not take an 8 MiB array
      int step = Math.min(data.length, 1024 * 1024);
      data = Arrays.copyOf(data, Math.max(data.length + step, size + more));
    }
  }

  void clear() {
    Arrays.fill(runFile, 0, runs, null);
    Arrays.fill(runSource, 0, runs, null);
    size = 0;
    count = 0;
    splitCount = 0;
    runs = 0;
    if (data.length > 4 * 1024 * 1024) {
      data = new byte[INITIAL_BYTES]; // give back the memory an unusual burst took
    }
  }

  int count() {
    return count;
  }

  /** Bytes held: the lines and a newline after each. */
  int bytes() {
    return size;
  }

  /** How many of the lines are pieces of an over-long line. */
  int splitCount() {
    return splitCount;
  }

  long ageNanos() {
    return count == 0 ? 0 : System.nanoTime() - firstAddedNanos;
  }

  /** The lines, each followed by a newline, from 0 to {@link #bytes}. */
  byte[] data() {
    return data;
  }

  int start(int i) {
    return i == 0 ? 0 : ends[i - 1] + 1;
  }

  int length(int i) {
    return ends[i] - start(i);
  }

  /** Where the line starts in its file. */
  long offset(int i) {
    int r = run(i);
    return runOffset[r] + (start(i) - start(runFirstLine[r]));
  }

  boolean isSplit(int i) {
    return splitCount > 0 && Arrays.binarySearch(splitLines, 0, splitCount, i) >= 0;
  }

  /** The followed file (as configured) the line came from. */
  Path file(int i) {
    return runFile[run(i)];
  }

  /** The identity of the file the line was read from: with the offset, a unique line id. */
  String source(int i) {
    return runSource[run(i)];
  }

  private int run(int line) {
    int r = Arrays.binarySearch(runFirstLine, 0, runs, line);
    return r >= 0 ? r : -r - 2; // the last run that starts at or before the line
  }

  // ---- finding newlines eight bytes a step ----

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
  private static final long LOWS = 0x7F7F7F7F7F7F7F7FL;
  private static final long ONES = 0x0101010101010101L;

  /**
   * The high bit of each byte of {@code word} that is '\n', and no other bit: a newline is a zero
   * byte of {@code word ^ NEWLINES}, and adding 0x7F to the low seven bits of a byte sets its high
   * bit unless they are all zero, without a carry into the next byte. The scan is the logger's hot
   * loop, and C1 compiles a byte-by-byte one to about 3 ns a byte.
   */
  static long newlines(long word) {
    long v = word ^ NEWLINES;
    return ~(((v & LOWS) + LOWS) | v | LOWS);
  }

  /**
   * {@link #newlines} of the bytes {@code src[i, min(i + 8, to))}: a newline at {@code to} or after
   * it is not flagged (the bytes there are not the caller's yet), and near the array's end, where
   * no eight bytes can be read at once, they are read one by one.
   */
  static long wordAt(byte[] src, int i, int to) {
    if (i + Long.BYTES <= src.length) {
      long found = newlines((long) LONGS.get(src, i));
      return to - i >= Long.BYTES ? found : found & ((1L << (Math.max(0, to - i) * 8)) - 1);
    }
    long found = 0;
    for (int k = 0; i + k < to; k++) {
      if (src[i + k] == '\n') {
        found |= 0x80L << (k * 8);
      }
    }
    return found;
  }

  /**
   * The index of the lowest byte flagged in {@code flags} (high bits only). Long's
   * numberOfTrailingZeros is a call in C1; this is a multiply: below the lowest flag, the ones of
   * each lower byte and of the flagged one add up in the top byte.
   */
  static int firstFlagged(long flags) {
    long below = (flags & -flags) - 1;
    return (int) (((below & ONES) * ONES) >>> 56) - 1;
  }
}
