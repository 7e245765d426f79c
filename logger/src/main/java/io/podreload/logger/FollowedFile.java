package io.podreload.logger;

import io.podreload.logger.Checkpoints.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file followed like {@code tail -F}, by identity rather than by name: when the name points to
 * another file (rotation by rename, deletion and re-creation) the old one is read to its end first;
 * when the same file shrinks or its first bytes change (truncation, copytruncate) it is read again
 * from the start. Complete lines go to the output; {@link #checkpoint()} is where every line before
 * has been handed to it.
 */
final class FollowedFile {

  private static final Logger LOG = LoggerFactory.getLogger(FollowedFile.class);
  static final byte[] SPLIT_MARKER =
      " [line split: longer than LOGGER_MAX_LINE_BYTES]".getBytes(StandardCharsets.UTF_8);

  private final Path path;
  private final Output output;
  private final LoggerMetrics metrics;
  private final int maxLineBytes;
  private final long partialLineTimeoutNanos;
  private final byte[] buffer;

  private FileChannel channel;
  private FileIdentity identity;
  private long readPosition; // the file offset of buffer[length]
  private long emitted; // the file offset up to which lines were handed to the output
  private int length; // bytes in buffer: the start of an unfinished line, from offset emitted
  private long lastDataNanos = System.nanoTime();
  private Optional<Checkpoint> resumeFrom;
  private String problem;

  FollowedFile(
      Path path,
      Output output,
      Optional<Checkpoint> resumeFrom,
      LoggerMetrics metrics,
      LoggerSettings settings) {
    this.path = path;
    this.output = output;
    this.resumeFrom = resumeFrom;
    this.metrics = metrics;
    this.maxLineBytes = settings.maxLineBytes();
    this.partialLineTimeoutNanos = settings.partialLineTimeout().toNanos();
    this.buffer = new byte[Math.max(1 << 18, maxLineBytes + (1 << 16))];
  }

  Path path() {
    return path;
  }

  /** Where lines were handed to the output up to, in which file; empty before the file exists. */
  Optional<Checkpoint> checkpoint() {
    return identity == null ? Optional.empty() : Optional.of(new Checkpoint(identity, emitted));
  }

  /** Bytes written to the file and not yet handed to the output. */
  long bytesBehind() {
    try {
      return channel == null ? 0 : Math.max(0, channel.size() - emitted);
    } catch (IOException e) {
      return 0;
    }
  }

  Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /** Reads what is new. Returns whether anything happened (so the caller polls again at once). */
  boolean poll() throws IOException {
    try {
      if (channel == null && !open()) {
        return false;
      }
      if (read()) {
        return true;
      }
      return atEnd();
    } catch (java.nio.file.AccessDeniedException e) {
      report(
          "cannot read "
              + path
              + ": permission denied; the logger's user must be able to read it (fsGroup, or the same runAsUser as the app)");
      return false;
    }
  }

  /** At shutdown: hands over every complete line already in the file. */
  void drain() throws IOException {
    if (channel != null) {
      while (read()) {
        // until the end
      }
    }
  }

  void close() {
    closeChannel();
  }

  private boolean open() throws IOException {
    if (!Files.exists(path)) {
      return false;
    }
    channel = FileChannel.open(path, StandardOpenOption.READ);
    identity = FileIdentity.of(path, channel);
    readPosition = emitted = 0;
    length = 0;
    problem = null;
    if (resumeFrom.isPresent()) {
      resume(resumeFrom.get());
      resumeFrom = Optional.empty();
    }
    LOG.info("following {} from offset {}", path, emitted);
    return true;
  }

  /** After a restart: continue where the checkpoint says, in the current file or a rotated one. */
  private void resume(Checkpoint checkpoint) throws IOException {
    if (checkpoint.identity().sameInode(FileIdentity.inodeOf(path))
        && checkpoint.identity().sameStart(channel)
        && checkpoint.offset() <= channel.size()) {
      readPosition = emitted = checkpoint.offset();
      return;
    }
    Optional<Path> rotated = rotatedSibling(checkpoint.identity());
    if (rotated.isPresent()) {
      // Finish the rotated file first; at its end the name's new file is taken from its start.
      closeChannel();
      channel = FileChannel.open(rotated.get(), StandardOpenOption.READ);
      identity = checkpoint.identity();
      readPosition = emitted = Math.min(checkpoint.offset(), channel.size());
      LOG.info("{} was rotated while the logger was down: finishing {} first", path, rotated.get());
      return;
    }
    LOG.warn(
        "the file checkpointed for {} is gone (rotated away or truncated while the logger was"
            + " down); following the current file from its start",
        path);
  }

  private Optional<Path> rotatedSibling(FileIdentity wanted) throws IOException {
    String prefix = path.getFileName().toString() + ".";
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(path.getParent(), prefix + "*")) {
      for (Path sibling : siblings) {
        if (wanted.sameInode(FileIdentity.inodeOf(sibling))) {
          try (FileChannel candidate = FileChannel.open(sibling, StandardOpenOption.READ)) {
            if (wanted.sameStart(candidate)) {
              return Optional.of(sibling);
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  /** N when the file {@code identity} names is now {@code access.log.N}; 0 when it is not. */
  private int rotatedIndexOf(FileIdentity wanted) throws IOException {
    String prefix = path.getFileName().toString() + ".";
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(path.getParent(), prefix + "*")) {
      for (Path sibling : siblings) {
        String suffix = sibling.getFileName().toString().substring(prefix.length());
        if (suffix.matches("[0-9]+") && wanted.sameInode(FileIdentity.inodeOf(sibling))) {
          return Integer.parseInt(suffix);
        }
      }
    }
    return 0;
  }

  /** A sibling that starts like {@code wanted} and is at least {@code size} long: a copy. */
  private Optional<Path> copyOf(FileIdentity wanted, long size) throws IOException {
    String prefix = path.getFileName().toString() + ".";
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(path.getParent(), prefix + "*")) {
      for (Path sibling : siblings) {
        try (FileChannel candidate = FileChannel.open(sibling, StandardOpenOption.READ)) {
          if (candidate.size() >= size && wanted.sameStart(candidate)) {
            return Optional.of(sibling);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Reads one chunk and hands over its complete lines; false at the end of the file. */
  private boolean read() throws IOException {
    int n = channel.read(ByteBuffer.wrap(buffer, length, buffer.length - length), readPosition);
    if (n <= 0) {
      return false;
    }
    readPosition += n;
    metrics.bytesRead(n);
    lastDataNanos = System.nanoTime();
    int end = length + n;
    int lineStart = 0;
    int lines = 0;
    for (int i = length; i < end; i++) {
      if (buffer[i] == '\n') {
        lineStart = splitLongLine(lineStart, i);
        output.line(path, emitted, buffer, lineStart, i - lineStart);
        emitted += i - lineStart + 1;
        lineStart = i + 1;
        lines++;
      }
    }
    lineStart = splitLongLine(lineStart, end);
    length = end - lineStart;
    System.arraycopy(buffer, lineStart, buffer, 0, length);
    metrics.linesRead(lines);
    return true;
  }

  /**
   * Hands over {@code buffer[from, to)} in pieces of {@code maxLineBytes} with a marker while it is
   * longer than that, so that an endless line never stalls the file. Returns where the rest starts.
   */
  private int splitLongLine(int from, int to) throws IOException {
    while (to - from > maxLineBytes) {
      byte[] piece = new byte[maxLineBytes + SPLIT_MARKER.length];
      System.arraycopy(buffer, from, piece, 0, maxLineBytes);
      System.arraycopy(SPLIT_MARKER, 0, piece, maxLineBytes, SPLIT_MARKER.length);
      output.line(path, emitted, piece, 0, piece.length);
      emitted += maxLineBytes;
      from += maxLineBytes;
      metrics.longLine();
    }
    return from;
  }

  /** At the end of the open file: look for rotation, truncation, or a last line to finish. */
  private boolean atEnd() throws IOException {
    long[] named = FileIdentity.inodeOf(path);
    if (named != null && !identity.sameInode(named)) {
      finishPartialLine(); // the old file is complete: its last line will not grow
      metrics.rotation();
      closeChannel();
      // Rotated more than once meanwhile? The old file is now access.log.K: read .K-1 ... .1
      // (each newer than the last) before the current one.
      int index = rotatedIndexOf(identity);
      if (index > 1) {
        Path next = path.resolveSibling(path.getFileName() + "." + (index - 1));
        if (Files.exists(next)) {
          LOG.info("{} was rotated more than once: reading {} next", path, next);
          channel = FileChannel.open(next, StandardOpenOption.READ);
          identity = FileIdentity.of(next, channel);
          readPosition = emitted = 0;
          return true;
        }
      }
      LOG.info("{} was rotated: the old file is finished, following the new one", path);
      return open();
    }
    if (channel.size() < readPosition || !identity.sameStart(channel)) {
      metrics.truncation();
      Optional<Path> copy = copyOf(identity, readPosition);
      if (copy.isPresent()) {
        // copytruncate: what was written before the truncation and not read yet is in the copy.
        LOG.info("{} was copied to {} and truncated: finishing the copy first", path, copy.get());
        closeChannel();
        channel = FileChannel.open(copy.get(), StandardOpenOption.READ);
        identity = FileIdentity.of(copy.get(), channel); // at its end, the name is taken anew
        return true;
      }
      LOG.info("{} was truncated: following it again from its start", path);
      length = 0;
      readPosition = emitted = 0;
      identity = FileIdentity.of(path, channel);
      return true;
    }
    if (length > 0 && System.nanoTime() - lastDataNanos > partialLineTimeoutNanos) {
      finishPartialLine();
      return true;
    }
    return false;
  }

  private void finishPartialLine() throws IOException {
    if (length > 0) {
      output.line(path, emitted, buffer, 0, length);
      emitted += length;
      length = 0;
      metrics.linesRead(1);
    }
  }

  private void report(String message) {
    if (!message.equals(problem)) {
      LOG.error(message);
    }
    problem = message;
    closeChannel();
  }

  private void closeChannel() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to do with it
      }
      channel = null;
    }
  }
}
