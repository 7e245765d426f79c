package io.podreload.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKubeletTest {

  @TempDir Path dir;

  @Test
  void eachChangedSaveIsPublishedOnceInTheKubeletLayout() throws Exception {
    Path edited = dir.resolve("application.yml");
    Path volume = dir.resolve("volume");
    Files.writeString(edited, "app:\n  greeting: one\n");
    LocalKubelet kubelet = new LocalKubelet(edited, volume, Duration.ZERO);

    assertTrue(kubelet.publishIfChanged());
    Path firstPayload = Files.readSymbolicLink(volume.resolve("..data"));
    assertFalse(kubelet.publishIfChanged(), "no change, no swap");
    assertEquals(firstPayload, Files.readSymbolicLink(volume.resolve("..data")));

    // An editor's save: write a temp file and rename it over the original.
    Path temp = dir.resolve(".application.yml.swp");
    Files.writeString(temp, "app:\n  greeting: two\n");
    Files.move(temp, edited, StandardCopyOption.ATOMIC_MOVE);

    assertTrue(kubelet.publishIfChanged());
    assertEquals("app:\n  greeting: two\n", Files.readString(volume.resolve("application.yml")));
    assertTrue(Files.isSymbolicLink(volume.resolve("application.yml")));
  }

  @Test
  void aMissingFileIsWaitedForNotPublishedEmpty() throws Exception {
    LocalKubelet kubelet =
        new LocalKubelet(dir.resolve("absent.yml"), dir.resolve("v"), Duration.ZERO);
    assertFalse(kubelet.publishIfChanged());
    assertFalse(Files.exists(dir.resolve("v")));
  }
}
