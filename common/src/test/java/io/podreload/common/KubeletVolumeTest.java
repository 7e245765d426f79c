package io.podreload.common;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeletVolumeTest {

  @TempDir Path dir;

  private static Map<String, byte[]> files(String... nameThenContent) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < nameThenContent.length; i += 2) {
      files.put(nameThenContent[i], nameThenContent[i + 1].getBytes(UTF_8));
    }
    return files;
  }

  private static String text(DirSnapshot snapshot, String name) {
    return snapshot.files().stream()
        .filter(f -> f.name().equals(name))
        .map(f -> new String(f.content(), UTF_8))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + snapshot.files()));
  }

  @Test
  void writesTheKubeletLayoutWithDataLinkAndUserVisibleLinks() throws Exception {
    KubeletVolume.write(dir, files("application.yml", "app:\n  greeting: hi\n"), null);

    Path data = dir.resolve("..data");
    assertTrue(Files.isSymbolicLink(data));
    assertTrue(Files.readSymbolicLink(data).toString().startsWith("..20"));
    assertEquals(
        Path.of("..data/application.yml"), Files.readSymbolicLink(dir.resolve("application.yml")));
    assertEquals("app:\n  greeting: hi\n", Files.readString(dir.resolve("application.yml")));
  }

  @Test
  void aSwapReplacesContentRemovesStaleKeysAndTheOldPayloadDir() throws Exception {
    KubeletVolume.write(dir, files("a.yml", "v: 1", "b.yml", "v: 1"), null);
    Path oldPayload = dir.resolve(Files.readSymbolicLink(dir.resolve("..data")));

    KubeletVolume.write(dir, files("a.yml", "v: 2", "c.properties", "v=2"), null);

    DirSnapshot snapshot = KubeletVolume.read(dir);
    assertEquals(
        List.of("a.yml", "c.properties"), snapshot.files().stream().map(ConfigFile::name).toList());
    assertEquals("v: 2", text(snapshot, "a.yml"));
    assertFalse(Files.exists(dir.resolve("b.yml"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(oldPayload));
    try (Stream<Path> entries = Files.list(dir)) {
      long payloadDirs = entries.filter(p -> p.getFileName().toString().startsWith("..20")).count();
      assertEquals(1, payloadDirs);
    }
  }

  @Test
  void readIgnoresDotEntriesAndFilesOfOtherTypes() throws Exception {
    Files.writeString(dir.resolve("app.yml"), "a: 1");
    Files.writeString(dir.resolve(".hidden.yml"), "a: 2");
    Files.writeString(dir.resolve("notes.txt"), "x");
    Files.writeString(dir.resolve("app.yml.swp"), "x");
    Files.createDirectory(dir.resolve("nested.yml"));

    DirSnapshot snapshot = KubeletVolume.read(dir);

    assertEquals(List.of("app.yml"), snapshot.files().stream().map(ConfigFile::name).toList());
  }

  @Test
  void aMissingDirIsSkippedNotAnError() throws Exception {
    DirSnapshot snapshot = KubeletVolume.read(dir.resolve("absent"));
    assertFalse(snapshot.present());
    assertTrue(snapshot.files().isEmpty());
  }

  @Test
  void aFileWhereTheDirShouldBeIsMissingAndADataDirThatIsNoLinkIsAPlainDir() throws Exception {
    Path file = Files.writeString(dir.resolve("file.yml"), "a: 1");
    assertFalse(KubeletVolume.read(file).present());

    Path plain = Files.createDirectory(dir.resolve("plain"));
    Files.createDirectory(plain.resolve(KubeletVolume.DATA_LINK));
    Files.writeString(plain.resolve("app.yml"), "a: 1");
    DirSnapshot snapshot = KubeletVolume.read(plain);
    assertTrue(snapshot.present());
    assertEquals(List.of("app.yml"), snapshot.files().stream().map(ConfigFile::name).toList());
  }

  @Test
  void aDataLinkToAPayloadThatIsGoneIsAnErrorAfterTheRetries() throws Exception {
    Path kubelet = dir.resolve("kubelet");
    KubeletVolume.write(kubelet, files("a.yml", "v: 1"), null);
    Path payload =
        kubelet.resolve(Files.readSymbolicLink(kubelet.resolve(KubeletVolume.DATA_LINK)));
    Files.delete(payload.resolve("a.yml"));
    Files.delete(payload); // ..data now points nowhere
    IOException e = assertThrows(IOException.class, () -> KubeletVolume.read(kubelet));
    assertTrue(e.getMessage().contains("kept changing"), e.getMessage());
    assertInstanceOf(java.nio.file.NoSuchFileException.class, e.getCause());
  }

  @Test
  void theHashIsTheSameForTheSameContentInEitherLayout() throws Exception {
    Path plain = Files.createDirectory(dir.resolve("plain"));
    Path kubelet = dir.resolve("kubelet");
    Files.writeString(plain.resolve("a.yml"), "v: 1");
    KubeletVolume.write(kubelet, files("a.yml", "v: 1"), null);

    String plainHash = KubeletVolume.read(plain).hash();
    assertEquals(plainHash, KubeletVolume.read(kubelet).hash());

    KubeletVolume.write(kubelet, files("a.yml", "v: 2"), null);
    assertNotEquals(plainHash, KubeletVolume.read(kubelet).hash());
  }

  @Test
  void filesGetTheRequestedMode() throws Exception {
    KubeletVolume.write(
        dir,
        files("secrets.properties", "token=s3cr3t"),
        PosixFilePermissions.fromString("r--------"));

    Path payloadFile = dir.resolve("..data").resolve("secrets.properties").toRealPath();
    assertEquals(
        "r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(payloadFile)));
  }

  @Test
  void rejectsNamesThatWouldEscapeOrHideInTheDir() {
    assertThrows(
        IllegalArgumentException.class,
        () -> KubeletVolume.write(dir, files("../x.yml", "a"), null));
    assertThrows(
        IllegalArgumentException.class, () -> KubeletVolume.write(dir, files("..data", "a"), null));
  }

  @Test
  void aReaderNeverSeesTwoVersionsMixedWhileTheDirIsSwapped() throws Exception {
    KubeletVolume.write(dir, files("a.yml", "v: 0", "b.yml", "v: 0"), null);
    AtomicBoolean done = new AtomicBoolean();
    List<Throwable> writerErrors = new ArrayList<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 1; i <= 300; i++) {
                  KubeletVolume.write(dir, files("a.yml", "v: " + i, "b.yml", "v: " + i), null);
                }
              } catch (Throwable t) {
                writerErrors.add(t);
              } finally {
                done.set(true);
              }
            });
    writer.start();
    int reads = 0;
    while (!done.get() || reads == 0) {
      DirSnapshot snapshot = KubeletVolume.read(dir);
      assertEquals(2, snapshot.files().size(), "both files, always");
      assertEquals(text(snapshot, "a.yml"), text(snapshot, "b.yml"), "one version, never a mix");
      reads++;
    }
    writer.join();
    assertTrue(writerErrors.isEmpty(), () -> "writer failed: " + writerErrors);
    assertEquals("v: 300", text(KubeletVolume.read(dir), "a.yml"));
  }
}
