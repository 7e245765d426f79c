package io.podreload.logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one configured file for one output, like {@code tail -F}: waits for it to appear,
 * finishes a file that was renamed away before taking the new one, notices truncation by a size
 * drop or changed first bytes (and reads the rest from the copy copytruncate left), and cuts the
 * bytes into lines. Not thread-safe except for the read-only gauges.
 */
final class FileFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FileFollower.class);

  private final Path followed;
  private final CheckpointStore store;
  private final Metrics.OutputMetrics metrics;
  private final String output;
  private final int maxLine;
  private final long idleFlushNanos;
  private final byte[] buf;
  private int bufStart;
  private int bufEnd;
  private int scanFrom;
  private boolean inLongLine;

  private volatile FileChannel channel;
  private Path source;
  private FileIdentity identity;
  private String sourceKey;
  private volatile long consumed;

  /** The open file is no longer at {@link #followed}: read it to its end, then switch. */
  private volatile boolean finite;

  private boolean checkpointConsulted;
  private long lastGrowthNanos = System.nanoTime();
  private volatile long caughtUpNanos = System.nanoTime();
  private String lastProblem;

  FileFollower(
      Path followed,
      CheckpointStore store,
      Metrics.OutputMetrics metrics,
      String output,
      int maxLine,
      long idleFlushNanos) {
    this.followed = followed;
    this.store = store;
    this.metrics = metrics;
    this.output = output;
    this.maxLine = maxLine;
    this.idleFlushNanos = idleFlushNanos;
    this.buf = new byte[maxLine + 64 * 1024];
  }

  Path followed() {
    return followed;
  }

  /**
   * Reads what is there into {@code batch} until the file's end or the batch limits, then looks for
   * rotation and truncation. Returns true if anything happened (bytes taken or a switch).
   */
  boolean poll(Batch batch, int maxLines, int maxBytes) throws IOException {
    if (channel == null && !open()) {
      return false;
    }
    boolean progress = false;
    while (true) {
      if (emitLines(batch, maxLines, maxBytes)) {
        progress = true;
      }
      if (batch.count() >= maxLines || batch.bytes() >= maxBytes) {
        return true;
      }
      int n = fill();
      if (n <= 0) {
        break;
      }
      lastGrowthNanos = System.nanoTime();
      progress = true;
    }
    caughtUpNanos = System.nanoTime();
    if (bufEnd > bufStart && System.nanoTime() - lastGrowthNanos >= idleFlushNanos) {
      emitRest(batch); // a last line without a newline, the writer has been quiet long enough
      progress = true;
    }
    return checkSource(batch) || progress;
  }

  /** Where this output stands in this file, or null before the file was first found. */
  Checkpoint checkpoint() {
    return identity == null ? null : new Checkpoint(followed, source, identity, consumed);
  }

  long bytesBehind() {
    FileChannel ch = channel;
    long behind = 0;
    try {
      if (ch != null) {
        behind = Math.max(0, ch.size() - consumed);
      }
      if (ch == null || finite) {
        behind += Files.exists(followed) ? Files.size(followed) : 0;
      }
    } catch (IOException e) {
      // the file moved between the two calls; the next scrape sees it
    }
    return behind;
  }

  double lagSeconds() {
    return bytesBehind() == 0 ? 0 : (System.nanoTime() - caughtUpNanos) / 1e9;
  }

  /** True while the open file has been rotated away from {@link #followed}. */
  boolean readingRotatedFile() {
    return finite;
  }

  Path source() {
    return source;
  }

  @Override
  public void close() {
    closeChannel();
  }

  // ---- reading and cutting lines ----

  private int fill() throws IOException {
    if (bufEnd == buf.length) {
      if (bufStart == 0) {
        return 0; // full of one line; emitLines splits it
      }
      System.arraycopy(buf, bufStart, buf, 0, bufEnd - bufStart);
      scanFrom -= bufStart;
      bufEnd -= bufStart;
      bufStart = 0;
    }
    long position = readPosition();
    if (!finite && channel.size() < position) {
      return -1; // truncated: checkSource looks for the copy
    }
    int n = channel.read(ByteBuffer.wrap(buf, bufEnd, buf.length - bufEnd), position);
    if (n > 0 && !finite && !identity.sameContentStart(channel)) {
      // Truncated and written again before this read: these bytes belong to the new content,
      // which is read from its start after the old content is finished (from a copy, if any).
      return -1;
    }
    if (n > 0) {
      bufEnd += n;
    }
    return n;
  }

  private long readPosition() {
    return consumed + (bufEnd - bufStart);
  }

  /** Moves complete lines (and pieces of over-long ones) into the batch. */
  private boolean emitLines(Batch batch, int maxLines, int maxBytes) {
    boolean any = false;
    for (int i = Math.max(scanFrom, bufStart); i < bufEnd; i++) {
      if (buf[i] == '\n') {
        while (i - bufStart > maxLine) {
          takePiece(batch);
        }
        take(batch, i - bufStart, 1, false);
        inLongLine = false;
        any = true;
        if (batch.count() >= maxLines || batch.bytes() >= maxBytes) {
          scanFrom = bufStart;
          return true;
        }
      }
    }
    scanFrom = bufEnd;
    while (bufEnd - bufStart > maxLine) {
      takePiece(batch);
      any = true;
    }
    return any;
  }

  /** The next {@code maxLine} bytes of an over-long line, cut before a UTF-8 sequence. */
  private void takePiece(Batch batch) {
    int cut = bufStart + maxLine;
    for (int k = 0; k < 3 && (buf[cut] & 0xC0) == 0x80; k++) {
      cut--;
    }
    if (!inLongLine) {
      metrics.longLines.increment();
      inLongLine = true;
    }
    take(batch, cut - bufStart, 0, true);
  }

  private void emitRest(Batch batch) {
    take(batch, bufEnd - bufStart, 0, false);
    inLongLine = false;
    scanFrom = bufStart;
  }

  private void take(Batch batch, int length, int terminator, boolean split) {
    batch.add(followed, sourceKey, consumed, buf, bufStart, length, split);
    int used = length + terminator;
    bufStart += used;
    consumed += used;
    metrics.linesRead.increment();
    metrics.bytesRead.add(used);
  }

  // ---- which file ----

  /** At the end of the open file: finish a rotated file, or notice truncation and rotation. */
  private boolean checkSource(Batch batch) throws IOException {
    if (finite) {
      if (bufEnd > bufStart) {
        emitRest(batch); // the rotated file is complete: its last line will get no newline
      }
      LOG.info("[{}] finished {}; continuing with {}", output, source, followed);
      closeChannel();
      open();
      return true;
    }
    long size = channel.size();
    if (size < readPosition() || !identity.sameContentStart(channel)) {
      metrics.truncations.increment();
      Optional<Path> copy = findFile(identity, readPosition(), true);
      if (copy.isPresent()) {
        LOG.info(
            "[{}] {} was truncated; reading its remaining lines from the copy {}",
            output,
            followed,
            copy.get());
        FileChannel copyChannel = FileChannel.open(copy.get(), StandardOpenOption.READ);
        closeChannel();
        channel = copyChannel; // the buffered bytes are the same in the copy
        source = copy.get();
        finite = true;
      } else {
        LOG.warn(
            "[{}] {} was truncated at offset {}; reading it again from its beginning",
            output,
            followed,
            readPosition());
        if (bufEnd > bufStart) {
          emitRest(batch);
        }
        consumed = 0;
        setIdentity(FileIdentity.of(new long[] {identity.dev(), identity.ino()}, channel));
      }
      return true;
    }
    identity = identity.grown(channel);
    sourceKey = identity.key();
    long[] atPath = FileIdentity.devIno(followed);
    if (atPath != null && !identity.sameInode(atPath)) {
      metrics.rotations.increment();
      LOG.info("[{}] {} was rotated or replaced; finishing the old file first", output, followed);
      finite = true;
      return true;
    }
    return false;
  }

  /** Opens the followed file, the first time where the checkpoint says. */
  private boolean open() throws IOException {
    try {
      if (!checkpointConsulted) {
        checkpointConsulted = true;
        Optional<Checkpoint> saved = store.load(followed);
        if (saved.isPresent() && resume(saved.get())) {
          return true;
        }
      }
      return openFollowed();
    } catch (AccessDeniedException e) {
      problem(
          "cannot read "
              + e.getFile()
              + ": permission denied for uid "
              + uid()
              + ". Make the file and its directory readable by this user (for example a shared"
              + " fsGroup); retrying");
      return false;
    }
  }

  private boolean openFollowed() throws IOException {
    long[] before = FileIdentity.devIno(followed);
    if (before == null) {
      problem("waiting for " + followed + " to appear");
      return false;
    }
    if (Files.isDirectory(followed)) {
      problem(followed + " is a directory: LOGGER_FILES must name files; retrying");
      return false;
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(followed, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (!java.util.Arrays.equals(before, FileIdentity.devIno(followed))) {
      ch.close(); // replaced while opening; try again on the next poll
      return false;
    }
    channel = ch;
    source = followed;
    finite = false;
    consumed = 0;
    setIdentity(FileIdentity.of(before, ch));
    lastProblem = null;
    LOG.info("[{}] following {}", output, followed);
    return true;
  }

  /** Finds the checkpoint's file (at its path, or renamed next to it) and continues there. */
  private boolean resume(Checkpoint cp) throws IOException {
    Optional<Path> found = findFile(cp.identity(), cp.offset(), false);
    if (found.isEmpty()) {
      LOG.warn(
          "[{}] the file of the checkpoint for {} (last at {}, offset {}) is no longer there;"
              + " lines it held that were not yet written are lost. Starting {} from its beginning",
          output,
          followed,
          cp.source(),
          cp.offset(),
          followed);
      return false;
    }
    Path path = found.get();
    channel = FileChannel.open(path, StandardOpenOption.READ);
    source = path;
    consumed = cp.offset();
    long[] atFollowed = FileIdentity.devIno(followed);
    setIdentity(FileIdentity.of(FileIdentity.devIno(path), channel));
    finite = !path.equals(followed) || !identity.sameInode(atFollowed);
    LOG.info(
        "[{}] resuming {} at offset {}{}",
        output,
        path,
        consumed,
        finite ? " (rotated away from " + followed + ")" : "");
    return true;
  }

  /**
   * The file holding {@code identity} with at least {@code minSize} bytes: the followed path or a
   * sibling whose name starts with it ({@code access.log.1}, {@code access.log-20260101}).
   */
  private Optional<Path> findFile(FileIdentity id, long minSize, boolean copiesOnly)
      throws IOException {
    if (!copiesOnly && matches(followed, id, minSize, false)) {
      return Optional.of(followed);
    }
    Path dir = followed.getParent();
    String prefix = followed.getFileName().toString();
    Path byContent = null;
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(dir, prefix + "?*")) {
      for (Path sibling : siblings) {
        if (!copiesOnly && matches(sibling, id, minSize, false)) {
          return Optional.of(sibling);
        }
        if (byContent == null && matches(sibling, id, minSize, true)) {
          byContent = sibling;
        }
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.ofNullable(byContent);
  }

  /** Same inode (or, for a copy, any inode) with the same first bytes and long enough. */
  private static boolean matches(Path path, FileIdentity id, long minSize, boolean anyInode) {
    try {
      long[] devIno = FileIdentity.devIno(path);
      if (devIno == null || !Files.isRegularFile(path)) {
        return false;
      }
      if (!anyInode && !id.sameInode(devIno)) {
        return false;
      }
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        return ch.size() >= minSize && id.sameContentStart(ch);
      }
    } catch (IOException e) {
      return false;
    }
  }

  private void setIdentity(FileIdentity id) {
    identity = id;
    sourceKey = id.key();
    bufStart = 0;
    bufEnd = 0;
    scanFrom = 0;
    inLongLine = false;
  }

  private void closeChannel() {
    FileChannel ch = channel;
    channel = null;
    finite = false;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // read-only file: nothing to lose
      }
    }
  }

  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      lastProblem = message;
      LOG.warn("[{}] {}", output, message);
    }
  }

  /** The last problem met opening the file (null once it is followed), for /health. */
  String problem() {
    return channel == null ? lastProblem : null;
  }

  private static String uid() {
    try {
      return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return System.getProperty("user.name");
    }
  }
}
