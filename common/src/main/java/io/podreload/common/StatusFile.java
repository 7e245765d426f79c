package io.podreload.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Reads and writes the status file (the app's ack), always atomically. */
public final class StatusFile {

  private StatusFile() {}

  public static void write(Path file, ReloadStatus status) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("pid", status.pid());
    json.put("generation", status.generation());
    json.put("version", status.version());
    json.put("result", status.result());
    json.put("error", status.error());
    json.put("at", status.at());
    json.put("attempt", status.attempt());
    json.put("sources", status.sources());
    // Not fsynced: it describes a running process, which writes it again when it starts.
    AtomicFiles.writeVolatile(file, JsonTree.write(json));
  }

  /**
   * The current status, or empty when the file does not exist yet.
   *
   * @throws IOException when the file exists but cannot be read or is not a status
   */
  public static Optional<ReloadStatus> read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      if (!(JsonTree.parse(bytes) instanceof Map<?, ?> json)) {
        throw new IOException(file + " is not a reload status: not a JSON object");
      }
      Map<String, String> sources = new LinkedHashMap<>();
      if (json.get("sources") instanceof Map<?, ?> map) {
        map.forEach((dir, hash) -> sources.put(String.valueOf(dir), String.valueOf(hash)));
      }
      return Optional.of(
          new ReloadStatus(
              number(json, "pid"),
              number(json, "generation"),
              text(json, "version"),
              text(json, "result"),
              text(json, "error"),
              text(json, "at"),
              number(json, "attempt"),
              sources));
    } catch (JsonProcessingException e) {
      throw new IOException(file + " is not a reload status: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads one status file again and again, as the reloader does while it waits for an answer:
   * parsed again only when the file was replaced (another inode: the app renames a new file over
   * it) or changed in size or time; otherwise a stat and the last result.
   */
  public static final class Reader {
    private final Path file;
    private Object fileKey;
    private FileTime modified;
    private long size;
    private Optional<ReloadStatus> last = Optional.empty();

    public Reader(Path file) {
      this.file = file;
    }

    /** As {@link StatusFile#read}. */
    public synchronized Optional<ReloadStatus> read() throws IOException {
      BasicFileAttributes now;
      try {
        now = Files.readAttributes(file, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        fileKey = null;
        return Optional.empty();
      }
      if (fileKey != null
          && fileKey.equals(now.fileKey())
          && modified.equals(now.lastModifiedTime())
          && size == now.size()) {
        return last;
      }
      // Replaced between the stat and the read: the next call sees other attributes, reads again.
      last = StatusFile.read(file);
      fileKey = now.fileKey();
      modified = now.lastModifiedTime();
      size = now.size();
      return last;
    }
  }

  private static long number(Map<?, ?> json, String field) throws IOException {
    Object value = json.get(field);
    if (value == null) {
      return 0;
    }
    if (value instanceof Number n) {
      return n.longValue();
    }
    throw new IOException("the reload status field " + field + " is not a number: " + value);
  }

  private static String text(Map<?, ?> json, String field) {
    Object value = json.get(field);
    return value == null ? null : value.toString();
  }
}
