package io.podreload.logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads one file's bytes ahead and cuts them into lines for a batch: runs of complete lines, pieces
 * of a line longer than {@code maxLine} (cut before a UTF-8 sequence, marked as split) and, when
 * asked, a last line that has no newline yet. It knows offsets in the file, not which file it is:
 * {@link FileFollower} tells it where to start and whether bytes it read still belong to the file.
 */
final class LineCutter {
  static final int READ_BYTES = 64 * 1024;

  /** Where the bytes come from: a read at a position, as {@code FileChannel.read(dst, pos)}. */
  interface Source {
    int read(ByteBuffer into, long position) throws IOException;
  }

  /** Whether the {@code n} bytes just read still belong to the file: if not, they are dropped. */
  interface ReadCheck {
    boolean accept(int n) throws IOException;
  }

  private final int maxLine;
  private final int maxBuf;

  /**
   * Read ahead: {@link #READ_BYTES} while lines are short, grown up to a whole over-long line (plus
   * {@link #READ_BYTES}) when one comes, and shrunk back once it is out. Every output has a
   * follower per file, so a buffer kept at its largest would multiply.
   */
  private byte[] buf = new byte[READ_BYTES];

  private int bufStart;
  private int bufEnd;

  /** Where the search for the next newline goes on: the bytes before it hold none. */
  private int scanFrom;

  private boolean inLongLine;

  /** The offset in the file of the first byte not yet in a batch (read by the gauges' thread). */
  private volatile long consumed;

  private long linesTaken;
  private long bytesTaken;
  private long longLines;

  LineCutter(int maxLine) {
    this.maxLine = maxLine;
    this.maxBuf = maxLine + READ_BYTES;
  }

  /** Starts over at {@code offset} (of the same file or another): nothing is buffered. */
  void restart(long offset) {
    consumed = offset;
    bufStart = 0;
    bufEnd = 0;
    scanFrom = 0;
    inLongLine = false;
  }

  /** The offset of the first byte not yet in a batch. */
  long consumed() {
    return consumed;
  }

  /** The offset of the next byte to read: after the ones buffered. */
  long readPosition() {
    return consumed + (bufEnd - bufStart);
  }

  /** True if bytes are buffered that hold no complete line: the start of the next one. */
  boolean hasRest() {
    return bufEnd > bufStart;
  }

  /**
   * Reads what follows the buffered bytes. Returns the bytes read; 0 when the buffer is full of one
   * over-long line ({@link #emitLines} cuts it) or at the end; -1 at the end of the file or when
   * {@code check} refused what was read.
   */
  int fill(Source source, ReadCheck check) throws IOException {
    makeRoom();
    if (bufEnd == buf.length) {
      return 0; // full of one line; emitLines splits it
    }
    int n = source.read(ByteBuffer.wrap(buf, bufEnd, buf.length - bufEnd), readPosition());
    if (n > 0) {
      if (!check.accept(n)) {
        return -1;
      }
      bufEnd += n;
    }
    return n;
  }

  /**
   * Room after the buffered bytes: back to the short buffer once a long line is out, the buffered
   * bytes moved to its start, or a larger buffer for a long line (up to the limit).
   */
  private void makeRoom() {
    if (bufStart == bufEnd && buf.length > READ_BYTES) {
      buf = new byte[READ_BYTES]; // the long line is out
      bufStart = 0;
      bufEnd = 0;
      scanFrom = 0;
    }
    if (bufEnd == buf.length) {
      if (bufStart == 0) {
        if (buf.length < maxBuf) {
          buf = Arrays.copyOf(buf, Math.min(maxBuf, buf.length * 2)); // a long line
        }
      } else {
        System.arraycopy(buf, bufStart, buf, 0, bufEnd - bufStart);
        scanFrom -= bufStart;
        bufEnd -= bufStart;
        bufStart = 0;
      }
    }
  }

  /**
   * Moves complete lines (and pieces of over-long ones) into the batch, each known by {@code file}
   * and {@code sourceKey}, until the batch is full. Returns true if it took any.
   */
  boolean emitLines(Batch batch, Path file, String sourceKey, int maxLines, int maxBytes) {
    boolean any = false;
    while (true) {
      int before = batch.count();
      int taken =
          batch.addLines(
              file,
              sourceKey,
              consumed,
              buf,
              bufStart,
              Math.max(scanFrom, bufStart),
              bufEnd,
              maxLines,
              maxBytes,
              maxLine);
      if (taken > 0) {
        consume(taken, batch.count() - before);
        inLongLine = false;
        any = true;
      }
      if (batch.count() >= maxLines || batch.bytes() >= maxBytes) {
        scanFrom = bufStart;
        return any;
      }
      if (bufEnd - bufStart <= maxLine) {
        scanFrom = bufEnd; // what is left is the start of a line
        return any;
      }
      takePiece(batch, file, sourceKey); // no newline in the next maxLine bytes
      any = true;
    }
  }

  /** The next {@code maxLine} bytes of an over-long line, cut before a UTF-8 sequence. */
  private void takePiece(Batch batch, Path file, String sourceKey) {
    int cut = bufStart + maxLine;
    for (int k = 0; k < 3 && (buf[cut] & 0xC0) == 0x80; k++) {
      cut--;
    }
    if (!inLongLine) {
      longLines++;
      inLongLine = true;
    }
    int length = cut - bufStart;
    batch.add(file, sourceKey, consumed, buf, bufStart, length, true);
    consume(length, 1);
  }

  /** Moves the buffered bytes into the batch as one line: a last line that got no newline. */
  void emitRest(Batch batch, Path file, String sourceKey) {
    int length = bufEnd - bufStart;
    batch.add(file, sourceKey, consumed, buf, bufStart, length, false);
    consume(length, 1);
    inLongLine = false;
    scanFrom = bufStart;
  }

  /** The next {@code bytes} of the buffer, holding {@code lines} lines, are in the batch. */
  private void consume(int bytes, int lines) {
    bufStart += bytes;
    consumed += bytes;
    linesTaken += lines;
    bytesTaken += bytes;
  }

  /** Lines moved into batches since the last {@link #resetCounts}. */
  long linesTaken() {
    return linesTaken;
  }

  /** Bytes moved into batches since the last {@link #resetCounts}, newlines included. */
  long bytesTaken() {
    return bytesTaken;
  }

  /** Lines found too long (and cut in pieces) since the last {@link #resetCounts}. */
  long longLines() {
    return longLines;
  }

  void resetCounts() {
    linesTaken = 0;
    bytesTaken = 0;
    longLines = 0;
  }
}
