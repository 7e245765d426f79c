package io.podreload.logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podreload.common.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each followed file was read up to, saved only after the output flushed every line before
 * it: written atomically (temp file, fsync, rename) with a checksum, and checked when loaded. A
 * checkpoint that does not check out is reported and ignored, never a reason to crash.
 */
final class Checkpoints {

  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A position in a file, by identity. */
  record Checkpoint(FileIdentity identity, long offset) {}

  private final Path dir;

  Checkpoints(Path dir) {
    this.dir = dir;
  }

  Optional<Checkpoint> load(Path file, String output) {
    Path path = pathOf(file, output);
    try {
      JsonNode node = JSON.readTree(Files.readAllBytes(path));
      String body = node.path("checkpoint").toString();
      if (!node.path("crc").asText().equals(crc(body))) {
        throw new IOException("its checksum does not match its content");
      }
      JsonNode c = node.path("checkpoint");
      FileIdentity identity =
          new FileIdentity(
              c.path("device").asLong(),
              c.path("inode").asLong(),
              c.path("fingerprint").asText(),
              c.path("fingerprintLength").asInt());
      long offset = c.path("offset").asLong(-1);
      if (offset < 0 || !file.toString().equals(c.path("file").asText())) {
        throw new IOException("it holds no offset for " + file);
      }
      return Optional.of(new Checkpoint(identity, offset));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "the checkpoint {} is unusable ({}); following {} from the start of its current file",
          path,
          e.getMessage(),
          file);
      return Optional.empty();
    }
  }

  void save(Path file, String output, Checkpoint checkpoint) throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("file", file.toString());
    c.put("device", checkpoint.identity().device());
    c.put("inode", checkpoint.identity().inode());
    c.put("fingerprint", checkpoint.identity().fingerprint());
    c.put("fingerprintLength", checkpoint.identity().fingerprintLength());
    c.put("offset", checkpoint.offset());
    ObjectNode node = JSON.createObjectNode();
    node.set("checkpoint", c);
    node.put("crc", crc(c.toString()));
    Files.createDirectories(dir);
    AtomicFiles.write(pathOf(file, output), node.toString().getBytes(StandardCharsets.UTF_8));
  }

  Path pathOf(Path file, String output) {
    String name = file.toAbsolutePath().normalize().toString().replaceAll("[^A-Za-z0-9._-]", "_");
    return dir.resolve(name + "." + output + ".checkpoint.json");
  }

  private static String crc(String text) {
    CRC32 crc = new CRC32();
    crc.update(text.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().toHexDigits((int) crc.getValue());
  }
}
