package io.podreload.common;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** Reads and writes the status file (the app's ack), always atomically. */
public final class StatusFile {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .setSerializationInclusion(JsonInclude.Include.ALWAYS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private StatusFile() {}

  public static void write(Path file, ReloadStatus status) throws IOException {
    AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(status));
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
      return Optional.of(JSON.readValue(bytes, ReloadStatus.class));
    } catch (JsonProcessingException e) {
      throw new IOException(file + " is not a reload status: " + e.getOriginalMessage(), e);
    }
  }
}
