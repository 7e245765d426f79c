package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusFileTest {

  @TempDir Path dir;

  static ReloadStatus status(long attempt) {
    return new ReloadStatus(
        42,
        attempt,
        "v" + attempt,
        ReloadStatus.APPLIED,
        null,
        "2026-11-25T03:00:00Z",
        attempt,
        Map.of("/etc/app/config", "0123"));
  }

  @Test
  void aReaderParsesTheFileAgainOnlyWhenItWasReplaced() throws Exception {
    Path file = dir.resolve("reload-status.json");
    StatusFile.Reader reader = new StatusFile.Reader(file);
    assertTrue(reader.read().isEmpty());
    StatusFile.write(file, status(1));
    ReloadStatus first = reader.read().orElseThrow();
    assertEquals(status(1), first);
    assertSame(first, reader.read().orElseThrow()); // not parsed again
    StatusFile.write(file, status(2)); // a new file renamed over it, same size
    assertEquals(status(2), reader.read().orElseThrow());
    Files.delete(file);
    assertTrue(reader.read().isEmpty());
    StatusFile.write(file, status(3));
    assertEquals(status(3), reader.read().orElseThrow());
  }

  @Test
  void writesAndReadsEveryFieldOfTheAck() throws Exception {
    Path file = dir.resolve("reload-status.json");
    ReloadStatus status =
        new ReloadStatus(
            42,
            3,
            "abc",
            ReloadStatus.REJECTED,
            "a.yml: invalid",
            "2026-11-25T03:00:00Z",
            5,
            Map.of("/etc/app/config", "0123"));

    StatusFile.write(file, status);

    assertEquals(status, StatusFile.read(file).orElseThrow());
    String json = Files.readString(file);
    for (String field : new String[] {"pid", "generation", "version", "result", "error", "at"}) {
      assertTrue(json.contains("\"" + field + "\""), field + " in " + json);
    }
  }

  @Test
  void aNullErrorIsWrittenAsNull() throws Exception {
    Path file = dir.resolve("s.json");
    StatusFile.write(
        file, new ReloadStatus(1, 1, "v", ReloadStatus.APPLIED, null, "t", 1, Map.of()));
    assertTrue(Files.readString(file).contains("\"error\" : null"));
  }

  @Test
  void aMissingFileIsEmptyAndACorruptOneIsAClearError() throws Exception {
    Path file = dir.resolve("s.json");
    assertTrue(StatusFile.read(file).isEmpty());
    Files.writeString(file, "{not json");
    String message =
        assertThrows(java.io.IOException.class, () -> StatusFile.read(file)).getMessage();
    assertTrue(message.contains("is not a reload status"), message);
  }

  @Test
  void anAtomicWriteLeavesNoTempFileBehind() throws Exception {
    Path file = dir.resolve("s.json");
    for (int i = 0; i < 3; i++) {
      AtomicFiles.write(file, ("v" + i).getBytes());
    }
    assertEquals("v2", Files.readString(file));
    try (Stream<Path> entries = Files.list(dir)) {
      assertEquals(1, entries.count());
    }
  }

  @Test
  void aVolatileWriteCreatesItsDirectoryAndAFileOnlyItsOwnerReads() throws Exception {
    Path file = dir.resolve("run/app/s.json");
    AtomicFiles.writeVolatile(file, "v1".getBytes());
    AtomicFiles.writeVolatile(file, "v2".getBytes());
    assertEquals("v2", Files.readString(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (Stream<Path> entries = Files.list(file.getParent())) {
      assertEquals(1, entries.count());
    }
  }

  @Test
  void aTempFileLeftByADeadProcessOfTheSamePidIsReplaced() throws Exception {
    Path file = dir.resolve("s.json");
    String pid = Long.toString(ProcessHandle.current().pid());
    // Every name this test JVM's next write could take, as a dead process of the same pid left it.
    for (int n = 1; n <= 2000; n++) {
      Files.writeString(dir.resolve(".s.json." + pid + "." + n + ".tmp"), "junk");
    }
    AtomicFiles.writeVolatile(file, "v2".getBytes());
    assertEquals("v2", Files.readString(file));
  }
}
