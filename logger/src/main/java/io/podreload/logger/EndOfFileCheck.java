package io.podreload.logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * At the end of the open file: what happened to it, and so what the follower does next. Decided
 * from facts that are looked up only when the answer depends on them, the cheap ones first: the
 * file's size (an fstat) before its first bytes (a read), those before a look at the directory. A
 * file still at the name and unchanged, the common case, costs an fstat, a read of its first bytes
 * and a stat of the name.
 */
final class EndOfFileCheck {
  private EndOfFileCheck() {}

  enum Outcome {
    /** Nothing happened: the file is at the name as it was; read on when it grows. */
    KEEP_READING,
    /**
     * Emptied, shrunk, or emptied and written again: its rest is in the copy copytruncate left, or
     * it is read again from its start.
     */
    TRUNCATED,
    /** Another file is at the name now: this one is read to its end first, then the next. */
    ROTATED_FINISH_THEN_SWITCH,
    /** Rotated away before, and its writer may still add its last lines: wait for them. */
    WAIT_FOR_ROTATED_WRITER,
    /** Rotated away before, and quiet since: finish it and open the next file. */
    SWITCH_NOW
  }

  /** What {@link #decide} asks, each at most once. */
  interface Facts {
    /**
     * The open file is the inode it was opened as, not the copy copytruncate left of it: only such
     * a file can be truncated under the follower. No I/O.
     */
    boolean openIsOriginal();

    /** The open file is shorter now than what was read of it. */
    boolean shrunk() throws IOException;

    /** Its first bytes are not the ones it was known by. */
    boolean firstBytesChanged() throws IOException;

    /**
     * While its first line is incomplete: a copy next to it holds its first bytes and then a first
     * line that it does not hold (copied and truncated within its first line).
     */
    boolean copiedWithinItsFirstLine() throws IOException;

    /** The open file is no longer at the name (seen before). No I/O. */
    boolean rotatedAway();

    /** Its last write was longer ago than the partial-line timeout, or it was removed. */
    boolean writerQuiet() throws IOException;

    /** Another file is at the name now, one not seen before (it is remembered to read next). */
    boolean newFileAtName() throws IOException;
  }

  static Outcome decide(Facts facts) throws IOException {
    if (truncated(facts)) {
      return Outcome.TRUNCATED;
    }
    if (facts.rotatedAway()) {
      return facts.writerQuiet() ? Outcome.SWITCH_NOW : Outcome.WAIT_FOR_ROTATED_WRITER;
    }
    return facts.newFileAtName() ? Outcome.ROTATED_FINISH_THEN_SWITCH : Outcome.KEEP_READING;
  }

  /**
   * Truncated under the follower, by a size that dropped or first bytes that changed. A file
   * rotated away may be truncated too (copytruncate after a rename): a copy then has its rest.
   */
  static boolean truncated(Facts facts) throws IOException {
    return facts.openIsOriginal()
        && (facts.shrunk() || facts.firstBytesChanged() || facts.copiedWithinItsFirstLine());
  }

  /**
   * Truncated and written again, which its size cannot tell: what was just read belongs to the new
   * content, read from its start once the old one is finished (from a copy, if any).
   */
  static boolean writtenAgain(Facts facts) throws IOException {
    return facts.openIsOriginal()
        && (facts.firstBytesChanged() || facts.copiedWithinItsFirstLine());
  }

  /** A file read to its end, {@code offset}, just before the one at the name is opened. */
  record Finished(FileChannel channel, long offset, long[] devIno) {}

  /**
   * Where to start in {@code file}, the file at the name (with {@code devIno}) opened after {@code
   * done}: past what it holds that {@code done} held already. That is all of {@code done} when
   * {@code done} is a copy of its first bytes, the copy copytruncate made of it before the
   * truncation came (a file at the name that was not read yet when it was copied); otherwise its
   * start.
   */
  static long startAfter(Finished done, long[] devIno, FileChannel file) throws IOException {
    long size = done.offset();
    if (size == 0 || Arrays.equals(done.devIno(), devIno) || file.size() < size) {
      return 0;
    }
    int edge = (int) Math.min(FileIdentity.FINGERPRINT_BYTES, size);
    return sameBytes(done.channel(), file, 0, edge)
            && sameBytes(done.channel(), file, size - edge, edge)
        ? size
        : 0;
  }

  /** True if the two files hold the same {@code length} bytes at {@code position}. */
  private static boolean sameBytes(FileChannel a, FileChannel b, long position, int length)
      throws IOException {
    ByteBuffer x = ByteBuffer.allocate(length);
    ByteBuffer y = ByteBuffer.allocate(length);
    while (x.hasRemaining() && a.read(x, position + x.position()) > 0) {
      // pread until full
    }
    while (y.hasRemaining() && b.read(y, position + y.position()) > 0) {
      // pread until full
    }
    return !x.hasRemaining() && x.flip().equals(y.flip());
  }
}
