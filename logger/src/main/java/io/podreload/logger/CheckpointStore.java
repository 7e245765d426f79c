package io.podreload.logger;

import io.podreload.common.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints of one output, one small file per followed file in {@code <stateDir>/<output>/}. Each
 * save is atomic (temp file, fsync, rename, fsync of the directory) and carries a checksum, so a
 * load sees either the previous or the new checkpoint, and a damaged file is recognised.
 */
final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final String VERSION = "1";

  private final Path dir;
  private final Metrics.OutputMetrics metrics;

  CheckpointStore(Path stateDir, String output, Metrics.OutputMetrics metrics) throws IOException {
    this.dir = stateDir.resolve(output);
    this.metrics = metrics;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException(
          "cannot create the checkpoint directory "
              + dir
              + " ("
              + e
              + "): mount a writable volume at LOGGER_STATE_DIR (an emptyDir is enough)",
          e);
    }
    if (!Files.isWritable(dir)) {
      throw new IOException(
          "the checkpoint directory "
              + dir
              + " is not writable by this user: mount a writable volume at LOGGER_STATE_DIR"
              + " (fsGroup or an emptyDir)");
    }
  }

  Path fileFor(Path followed) {
    String name = followed.toString().replaceAll("[^A-Za-z0-9._-]", "_");
    return dir.resolve(name + ".checkpoint");
  }

  /**
   * The saved checkpoint for {@code followed}. A damaged checkpoint is moved aside, reported, and
   * treated as absent: reading restarts at the beginning of the file and of the files rotated from
   * it (repeats, never loss).
   */
  Optional<Checkpoint> load(Path followed) {
    Path file = fileFor(followed);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(followed, Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException | RuntimeException e) {
      metrics.checkpointErrors.increment();
      Path aside = file.resolveSibling(file.getFileName() + ".corrupt");
      try {
        Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException moveFailed) {
        LOG.warn("cannot move the damaged checkpoint {} aside: {}", file, moveFailed.toString());
      }
      LOG.error(
          "checkpoint {} is damaged ({}); kept as {} for inspection. Reading {} and the files"
              + " rotated from it again from their beginning, so some lines may repeat; none are"
              + " lost",
          file,
          e.getMessage(),
          aside,
          followed);
      return Optional.empty();
    }
  }

  private static Checkpoint parse(Path followed, String text) {
    int lastLine = text.lastIndexOf("crc32c=");
    if (lastLine < 0) {
      throw new IllegalArgumentException("no checksum line");
    }
    String body = text.substring(0, lastLine);
    String expected = text.substring(lastLine + "crc32c=".length()).trim();
    if (!expected.equals(crc(body))) {
      throw new IllegalArgumentException("checksum mismatch");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    if (!VERSION.equals(fields.get("version"))) {
      throw new IllegalArgumentException("unknown version " + fields.get("version"));
    }
    if (!followed.toString().equals(fields.get("followed"))) {
      throw new IllegalArgumentException("belongs to " + fields.get("followed"));
    }
    long offset = Long.parseLong(required(fields, "offset"));
    int fpLength = Integer.parseInt(required(fields, "fingerprintLength"));
    if (offset < 0 || fpLength < 0 || fpLength > FileIdentity.FINGERPRINT_BYTES) {
      throw new IllegalArgumentException("offset or fingerprint length out of range");
    }
    return new Checkpoint(
        followed,
        Path.of(required(fields, "source")),
        new FileIdentity(
            Long.parseLong(required(fields, "dev")),
            Long.parseLong(required(fields, "ino")),
            fpLength,
            Long.parseUnsignedLong(required(fields, "fingerprint"), 16)),
        offset,
        Long.parseLong(fields.getOrDefault("modified", "0")), // absent before it was kept
        fields.containsKey("earlier") ? parseIdentities(fields.get("earlier")) : null);
  }

  /** {@code dev:ino:length:fingerprint} for each file, separated by commas. */
  private static String formatIdentities(List<FileIdentity> ids) {
    StringBuilder text = new StringBuilder();
    for (FileIdentity id : ids) {
      text.append(text.length() == 0 ? "" : ",")
          .append(id.dev())
          .append(':')
          .append(id.ino())
          .append(':')
          .append(id.fingerprintLength())
          .append(':')
          .append(Long.toHexString(id.fingerprint()));
    }
    return text.toString();
  }

  private static List<FileIdentity> parseIdentities(String text) {
    List<FileIdentity> ids = new ArrayList<>();
    for (String one : text.split(",")) {
      if (one.isEmpty()) {
        continue;
      }
      String[] f = one.split(":");
      if (f.length != 4) {
        throw new IllegalArgumentException("bad file identity " + one);
      }
      ids.add(
          new FileIdentity(
              Long.parseLong(f[0]),
              Long.parseLong(f[1]),
              Integer.parseInt(f[2]),
              Long.parseUnsignedLong(f[3], 16)));
    }
    return List.copyOf(ids);
  }

  private static String required(Map<String, String> fields, String name) {
    String v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return v;
  }

  void save(Checkpoint c) throws IOException {
    String body =
        "version="
            + VERSION
            + "\nfollowed="
            + c.followed()
            + "\nsource="
            + c.source()
            + "\ndev="
            + c.identity().dev()
            + "\nino="
            + c.identity().ino()
            + "\nfingerprintLength="
            + c.identity().fingerprintLength()
            + "\nfingerprint="
            + Long.toHexString(c.identity().fingerprint())
            + "\noffset="
            + c.offset()
            + "\nmodified="
            + c.modifiedMillis()
            + "\n"
            + (c.earlier() == null ? "" : "earlier=" + formatIdentities(c.earlier()) + "\n");
    AtomicFiles.write(
        fileFor(c.followed()),
        (body + "crc32c=" + crc(body) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static String crc(String body) {
    CRC32C crc = new CRC32C();
    crc.update(body.getBytes(StandardCharsets.UTF_8));
    return Long.toHexString(crc.getValue());
  }
}
