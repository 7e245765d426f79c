package io.podreload.common;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The config files of one directory at one moment, sorted by name, and their content hash. The hash
 * is computed once: the reloader compares it on the signal's path and the app reports it on every
 * reload.
 */
public final class DirSnapshot {

  private final Path dir;
  private final boolean present;
  private final List<ConfigFile> files;
  private final String hash;

  /**
   * @param dir the directory as configured (not resolved through {@code ..data})
   * @param present false when the directory does not exist (it is then skipped, not an error)
   * @param files the config files, sorted by name
   */
  public DirSnapshot(Path dir, boolean present, List<ConfigFile> files) {
    this.dir = dir;
    this.present = present;
    this.files = List.copyOf(files);
    this.hash = hashOf(this.files);
  }

  public static DirSnapshot missing(Path dir) {
    return new DirSnapshot(dir, false, List.of());
  }

  /** The directory as configured. */
  public Path dir() {
    return dir;
  }

  /** Whether the directory exists. */
  public boolean present() {
    return present;
  }

  /** The config files, sorted by name. */
  public List<ConfigFile> files() {
    return files;
  }

  /**
   * A content hash of the directory: equal for equal file names and bytes, whoever wrote them and
   * whatever the layout. The app reports it per directory in its status file, and the reloader
   * compares it with the hash of what it saw, to confirm the app loaded that content.
   */
  public String hash() {
    return hash;
  }

  private static String hashOf(List<ConfigFile> files) {
    MessageDigest digest = sha256();
    for (ConfigFile file : files) {
      update(digest, file.name().getBytes(StandardCharsets.UTF_8));
      update(digest, file.content());
    }
    return shortHex(digest.digest());
  }

  /**
   * The name of this directory in the status file's {@code sources}: absolute and normalized, so
   * that the app and the reloader agree however each was configured.
   */
  public String key() {
    return keyOf(dir);
  }

  public static String keyOf(Path dir) {
    return dir.toAbsolutePath().normalize().toString();
  }

  /** A stable id of a whole config set: the ordered directories and their content hashes. */
  public static String versionOf(List<DirSnapshot> dirs) {
    MessageDigest digest = sha256();
    for (DirSnapshot snapshot : dirs) {
      if (snapshot.present()) {
        update(digest, snapshot.dir().toString().getBytes(StandardCharsets.UTF_8));
        update(digest, snapshot.hash().getBytes(StandardCharsets.UTF_8));
      }
    }
    return shortHex(digest.digest());
  }

  private static void update(MessageDigest digest, byte[] bytes) {
    // Length-prefixed so that ("ab","c") and ("a","bc") hash differently.
    int n = bytes.length;
    digest.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    digest.update(bytes);
  }

  /** Never updated: each hash starts from a copy (the provider lookup runs once, not per hash). */
  private static final MessageDigest SHA256 = newSha256();

  private static MessageDigest sha256() {
    try {
      return (MessageDigest) SHA256.clone();
    } catch (CloneNotSupportedException e) {
      return newSha256();
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  private static String shortHex(byte[] digest) {
    return HexFormat.of().formatHex(digest, 0, 8);
  }

  @Override
  public String toString() {
    return "DirSnapshot["
        + dir
        + (present ? ", " + files.size() + " files, " + hash : ", missing")
        + "]";
  }
}
