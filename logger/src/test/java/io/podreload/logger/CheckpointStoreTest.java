package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint file in process: what a save gives back, old files, damaged files. */
class CheckpointStoreTest {
  @TempDir Path dir;

  final Metrics.OutputMetrics metrics = new Metrics(new PrometheusRegistry()).forOutput("stdout");
  final Path followed = Path.of("/var/log/app/access.log");

  @Test
  void aSavedCheckpointLoadsAsItWasWithTheFilesBeforeIt() throws Exception {
    CheckpointStore store = new CheckpointStore(dir, "stdout", metrics);
    Checkpoint saved =
        new Checkpoint(
            followed,
            Path.of("/var/log/app/access.log.1"),
            new FileIdentity(2049, 77, 256, 0xfedcba9876543210L),
            12345,
            1_800_000_000_123L,
            List.of(new FileIdentity(2049, 75, 256, 0x1L), new FileIdentity(2049, 76, 10, -1L)));
    store.save(saved);
    assertThat(store.load(followed)).contains(saved);
    Checkpoint none = new Checkpoint(followed, followed, saved.identity(), 0, 0, List.of());
    store.save(none);
    assertThat(store.load(followed)).contains(none);
  }

  @Test
  void aCheckpointSavedBeforeTheFilesBeforeItWereKeptLoadsWithoutThem() throws Exception {
    CheckpointStore store = new CheckpointStore(dir, "stdout", metrics);
    String body =
        "version=1\nfollowed="
            + followed
            + "\nsource="
            + followed
            + "\ndev=1\nino=2\nfingerprintLength=3\nfingerprint=ff\noffset=4\nmodified=5\n";
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Files.writeString(
        store.fileFor(followed), body + "crc32c=" + Long.toHexString(crc.getValue()) + "\n");
    Checkpoint loaded = store.load(followed).orElseThrow();
    assertThat(loaded.earlier()).as("unknown: taken from modification times").isNull();
    assertThat(loaded.offset()).isEqualTo(4);
    assertThat(loaded.modifiedMillis()).isEqualTo(5);
  }

  @Test
  void aDamagedCheckpointIsMovedAsideCountedAndTreatedAsAbsent() throws Exception {
    CheckpointStore store = new CheckpointStore(dir, "stdout", metrics);
    store.save(new Checkpoint(followed, followed, new FileIdentity(1, 2, 0, 0), 7, 0, List.of()));
    Path file = store.fileFor(followed);
    Files.writeString(file, Files.readString(file).replace("offset=7", "offset=8"));
    assertThat(store.load(followed)).isEmpty();
    assertThat(file.resolveSibling(file.getFileName() + ".corrupt")).exists();
    assertThat(metrics.checkpointErrors.value()).isEqualTo(1.0);
    assertThat(store.load(followed)).as("gone once moved aside").isEmpty();
  }
}
