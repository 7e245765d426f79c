package io.podreload.logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Which file this is: device and inode, plus a checksum of its first bytes so that an inode reused
 * by a new file, or a file truncated and written again, is not taken for the old one.
 *
 * @param fingerprintLength how many leading bytes the fingerprint covers (grows up to {@link
 *     #FINGERPRINT_BYTES} as the file grows)
 */
public record FileIdentity(long dev, long ino, int fingerprintLength, long fingerprint) {

  static final int FINGERPRINT_BYTES = 256;

  /** The device and inode of {@code path} (following symlinks), or null if it does not exist. */
  static long[] devIno(Path path) throws IOException {
    try {
      Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino");
      return new long[] {((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue()};
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  static boolean exists(Path path) {
    return Files.exists(path, new LinkOption[0]);
  }

  /** Identity of an open file whose device and inode are known. */
  static FileIdentity of(long[] devIno, FileChannel channel) throws IOException {
    int length = (int) Math.min(FINGERPRINT_BYTES, channel.size());
    return new FileIdentity(devIno[0], devIno[1], length, checksum(channel, length));
  }

  /** Identity of a file whose first bytes ({@code head}, all of them up to 256) are known. */
  static FileIdentity of(long[] devIno, byte[] head) {
    int length = Math.min(FINGERPRINT_BYTES, head.length);
    return new FileIdentity(devIno[0], devIno[1], length, checksum(head, length));
  }

  /** Checksum of the first {@code length} bytes of {@code head}, or -1 if it holds fewer. */
  static long checksum(byte[] head, int length) {
    if (head.length < length) {
      return -1;
    }
    CRC32C crc = new CRC32C();
    crc.update(head, 0, length);
    return crc.getValue();
  }

  /** True if {@code head}, a file's first bytes, begins with the ones this identity saw. */
  boolean sameContentStart(byte[] head) {
    return fingerprintLength == 0 || checksum(head, fingerprintLength) == fingerprint;
  }

  /** Checksum of the first {@code length} bytes, or -1 if the file is now shorter than that. */
  static long checksum(FileChannel channel, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (channel.read(buf, buf.position()) < 0) {
        return -1;
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.flip());
    return crc.getValue();
  }

  boolean sameInode(long[] devIno) {
    return devIno != null && devIno[0] == dev && devIno[1] == ino;
  }

  /** True if the first bytes of {@code channel} are still the ones this identity saw. */
  boolean sameContentStart(FileChannel channel) throws IOException {
    return fingerprintLength == 0 || checksum(channel, fingerprintLength) == fingerprint;
  }

  /** True if the first {@code length} bytes hold a newline, or are all a fingerprint looks at. */
  static boolean holdsALine(FileChannel channel, int length) throws IOException {
    if (length >= FINGERPRINT_BYTES) {
      return true;
    }
    ByteBuffer head = ByteBuffer.allocate(length);
    while (head.hasRemaining() && channel.read(head, head.position()) >= 0) {
      // pread until full, or the file got shorter
    }
    return holdsALine(head.array(), head.position(), length);
  }

  /** {@link #holdsALine(FileChannel, int)} over the first bytes of a file, {@code head}. */
  static boolean holdsALine(byte[] head, int available, int length) {
    if (length >= FINGERPRINT_BYTES) {
      return true;
    }
    for (int i = 0; i < Math.min(available, length); i++) {
      if (head[i] == '\n') {
        return true;
      }
    }
    return false;
  }

  /** This identity with the fingerprint extended as far as the file now allows. */
  FileIdentity grown(FileChannel channel) throws IOException {
    if (fingerprintLength >= FINGERPRINT_BYTES
        || channel.size() <= fingerprintLength
        || !sameContentStart(channel)) {
      return this; // as long as it can be, or not this file's content any more
    }
    return of(new long[] {dev, ino}, channel);
  }

  /**
   * The name of a file in a line's id ({@code dev:ino:crc}): the device, the inode and a checksum
   * of the file's first line (at most {@link #FINGERPRINT_BYTES} bytes). Unlike the fingerprint,
   * which grows with the file, it is the same for the file's whole life once the first line is
   * complete, which it is before any line of the file is read (a first line written out by {@code
   * LOGGER_PARTIAL_LINE_TIMEOUT} before its end is the exception). Null when {@code final} is asked
   * and the first line is not complete yet.
   */
  static String lineIdPrefix(long dev, long ino, FileChannel channel, boolean mustBeFinal)
      throws IOException {
    ByteBuffer head = ByteBuffer.allocate((int) Math.min(FINGERPRINT_BYTES, channel.size()));
    while (head.hasRemaining() && channel.read(head, head.position()) >= 0) {
      // pread until full, or the file got shorter
    }
    return lineIdPrefix(dev, ino, head.array(), head.position(), mustBeFinal);
  }

  /**
   * {@link #lineIdPrefix(long, long, FileChannel, boolean)} of a file whose first bytes are known.
   */
  static String lineIdPrefix(long dev, long ino, byte[] head, int available, boolean mustBeFinal) {
    int length = Math.min(available, FINGERPRINT_BYTES);
    boolean complete = length == FINGERPRINT_BYTES;
    for (int i = 0; i < length; i++) {
      if (head[i] == '\n') {
        length = i + 1;
        complete = true;
        break;
      }
    }
    if (mustBeFinal && !complete) {
      return null;
    }
    CRC32C crc = new CRC32C();
    crc.update(head, 0, length);
    return dev + ":" + ino + ":" + Long.toHexString(crc.getValue());
  }
}
