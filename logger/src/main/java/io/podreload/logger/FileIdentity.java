package io.podreload.logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Which file a path names: device and inode, plus a fingerprint of its first bytes, so that a
 * reused inode (delete, then create) or a truncated and rewritten file is not taken for the old
 * one.
 *
 * @param device st_dev
 * @param inode st_ino
 * @param fingerprint CRC32 of the first {@link #FINGERPRINT_BYTES} bytes (fewer while shorter)
 * @param fingerprintLength how many bytes the fingerprint covers
 */
public record FileIdentity(long device, long inode, String fingerprint, int fingerprintLength) {

  static final int FINGERPRINT_BYTES = 256;

  /** The identity of the file open in {@code channel}, whose path is {@code path}. */
  static FileIdentity of(Path path, FileChannel channel) throws IOException {
    Map<String, Object> attributes = Files.readAttributes(path, "unix:dev,ino");
    ByteBuffer head = ByteBuffer.allocate(FINGERPRINT_BYTES);
    int length = 0;
    while (head.hasRemaining()) {
      int n = channel.read(head, length);
      if (n <= 0) {
        break;
      }
      length += n;
    }
    return new FileIdentity(
        ((Number) attributes.get("dev")).longValue(),
        ((Number) attributes.get("ino")).longValue(),
        crc(head.array(), length),
        length);
  }

  /** Device and inode of whatever {@code path} names now, or null when it does not exist. */
  static long[] inodeOf(Path path) {
    try {
      Map<String, Object> attributes = Files.readAttributes(path, "unix:dev,ino");
      return new long[] {
        ((Number) attributes.get("dev")).longValue(), ((Number) attributes.get("ino")).longValue()
      };
    } catch (IOException e) {
      return null;
    }
  }

  boolean sameInode(long[] devIno) {
    return devIno != null && devIno[0] == device && devIno[1] == inode;
  }

  /** Whether the first bytes of {@code channel} still are those this identity saw. */
  boolean sameStart(FileChannel channel) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(fingerprintLength);
    int length = 0;
    while (head.hasRemaining()) {
      int n = channel.read(head, length);
      if (n <= 0) {
        break;
      }
      length += n;
    }
    return length == fingerprintLength && crc(head.array(), length).equals(fingerprint);
  }

  private static String crc(byte[] bytes, int length) {
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, length);
    return HexFormat.of().toHexDigits((int) crc.getValue());
  }
}
