package io.podreload.logger;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Lines read but not yet written, in one reusable buffer. Each line is stored followed by a newline
 * (also a last line that had none in its file), so that the buffer is the batch's raw text and raw
 * stdout writes it in one call; {@link #length} leaves the newline out. {@link #isSplit} marks a
 * piece of an over-long line that continues in the next one.
 */
final class Batch {
  private byte[] data = new byte[64 * 1024];
  private int size;
  private int count;
  private int splitCount;
  private int[] starts = new int[1024];
  private int[] lengths = new int[1024];
  private long[] offsets = new long[1024];
  private boolean[] split = new boolean[1024];
  private Path[] files = new Path[1024];
  private String[] sources = new String[1024];
  private long firstAddedNanos;

  void add(
      Path file, String source, long offset, byte[] src, int from, int length, boolean isSplit) {
    if (count == 0) {
      firstAddedNanos = System.nanoTime();
    }
    if (count == starts.length) {
      int n = count * 2;
      starts = Arrays.copyOf(starts, n);
      lengths = Arrays.copyOf(lengths, n);
      offsets = Arrays.copyOf(offsets, n);
      split = Arrays.copyOf(split, n);
      files = Arrays.copyOf(files, n);
      sources = Arrays.copyOf(sources, n);
    }
    if (size + length + 1 > data.length) {
      // doubling, then by 1 MiB: a 4 MiB batch must not take an 8 MiB array
      int more = Math.min(data.length, 1024 * 1024);
      data = Arrays.copyOf(data, Math.max(data.length + more, size + length + 1));
    }
    System.arraycopy(src, from, data, size, length);
    data[size + length] = '\n';
    starts[count] = size;
    lengths[count] = length;
    offsets[count] = offset;
    split[count] = isSplit;
    files[count] = file;
    sources[count] = source;
    size += length + 1;
    count++;
    if (isSplit) {
      splitCount++;
    }
  }

  void clear() {
    Arrays.fill(files, 0, count, null); // the used part only: a batch is cleared 4,000 times a GiB
    Arrays.fill(sources, 0, count, null);
    size = 0;
    count = 0;
    splitCount = 0;
    if (data.length > 4 * 1024 * 1024) {
      data = new byte[64 * 1024]; // give back the memory an unusual burst took
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
    return starts[i];
  }

  int length(int i) {
    return lengths[i];
  }

  /** Where the line starts in its file. */
  long offset(int i) {
    return offsets[i];
  }

  boolean isSplit(int i) {
    return split[i];
  }

  /** The followed file (as configured) the line came from. */
  Path file(int i) {
    return files[i];
  }

  /** The identity of the file the line was read from: with the offset, a unique line id. */
  String source(int i) {
    return sources[i];
  }
}
