package io.podreload.reloader.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.KubeletVolume;
import io.podreload.reloader.TestSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The volume source on real dirs: the kubelet's symlink swap and plain edits, real inotify. */
class VolumeSourceTest {

  @TempDir Path tmp;
  final List<SourceChange> changes = new CopyOnWriteArrayList<>();
  VolumeSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  VolumeSource start(Path dir, String rehashMillis) throws Exception {
    source =
        new VolumeSource(
            TestSettings.reloader(
                tmp,
                Map.of(
                    "reloader.volume-dirs",
                    dir.toString(),
                    "reloader.rehash-interval",
                    rehashMillis)));
    source.start(changes::add);
    return source;
  }

  static void kubelet(Path dir, Map<String, String> files) throws Exception {
    Map<String, byte[]> bytes = new HashMap<>();
    files.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
    KubeletVolume.write(dir, bytes, PosixFilePermissions.fromString("rw-r--r--"));
  }

  void awaitChanges(int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> changes.size() >= n);
  }

  @Test
  void reportsTheContentAtStartThenOneChangePerKubeletSwap() throws Exception {
    Path dir = tmp.resolve("config");
    kubelet(dir, Map.of("application.yml", "a: 1\n"));
    start(dir, "60000");
    assertThat(changes).hasSize(1);
    for (int i = 2; i <= 6; i++) {
      kubelet(dir, Map.of("application.yml", "a: " + i + "\n"));
      awaitChanges(i);
      assertThat(changes.get(i - 1).snapshot().hash())
          .isEqualTo(KubeletVolume.read(dir).hash()); // never a half-swapped state
    }
    // a key added, then removed
    kubelet(dir, Map.of("application.yml", "a: 6\n", "extra.properties", "b=1\n"));
    awaitChanges(7);
    assertThat(changes.get(6).snapshot().files()).hasSize(2);
    kubelet(dir, Map.of("application.yml", "a: 6\n"));
    awaitChanges(8);
    assertThat(changes.get(7).snapshot().files()).hasSize(1);
    assertThat(changes.get(7).source()).isEqualTo("volume");
  }

  /**
   * The watch thread polls without sleeping from the kubelet's first step to its swap, so the swap
   * finds it awake: every event a kubelet write makes before the rename must keep it polling (the
   * payload dir's chmod, after its creation, used to end it), and none after the swap may.
   */
  @Test
  void everyStepOfAKubeletWriteBeforeItsSwapKeepsTheWatchPollingAndNoneAfter() throws Exception {
    Path dir = tmp.resolve("config");
    kubelet(dir, Map.of("application.yml", "a: 1\n"));
    try (Inotify inotify = Inotify.open()) {
      inotify.watch(dir, Inotify.DIR_EVENTS);
      List<Inotify.Event> beforeSwap = new CopyOnWriteArrayList<>();
      KubeletVolume.write(
          dir,
          Map.of("application.yml", "a: 2\n".getBytes(StandardCharsets.UTF_8)),
          PosixFilePermissions.fromString("rw-r--r--"),
          () -> {
            try {
              beforeSwap.addAll(inotify.await(0)); // queued by the kernel as each step ran
            } catch (java.io.IOException e) {
              throw new IllegalStateException(e);
            }
          });
      List<Inotify.Event> afterSwap =
          InotifyTest.eventsUntil(inotify, KubeletVolume.DATA_LINK, Inotify.IN_MOVED_TO);
      assertThat(beforeSwap)
          .extracting(Inotify.Event::mask)
          .contains(Inotify.IN_ATTRIB | 0x40000000); // IN_ISDIR: the payload dir's chmod
      assertThat(beforeSwap).isNotEmpty().allMatch(VolumeSource::announcesSwap);
      assertThat(afterSwap).noneMatch(VolumeSource::announcesSwap);
    }
  }

  @Test
  void aSwapThatChangesNothingIsNotReported() throws Exception {
    Path dir = tmp.resolve("config");
    kubelet(dir, Map.of("application.yml", "a: 1\n"));
    start(dir, "60000");
    kubelet(dir, Map.of("application.yml", "a: 1\n")); // same content, new ..data
    kubelet(dir, Map.of("application.yml", "a: 2\n"));
    awaitChanges(2);
    assertThat(changes.get(1).snapshot().files().get(0).content())
        .isEqualTo("a: 2\n".getBytes(StandardCharsets.UTF_8));
    assertThat(changes).hasSize(2);
  }

  @Test
  void aKubeletWriteThatStopsBeforeItsSwapIsNotReportedAndTheNextSwapIs() throws Exception {
    Path dir = tmp.resolve("config");
    kubelet(dir, Map.of("application.yml", "a: 1\n"));
    start(dir, "60000");
    // A payload dir and ..data_tmp, never renamed: the watch thread polls for the swap a while,
    // then waits as usual.
    Path payload = Files.createDirectory(dir.resolve("..2026_12_02_00_00_00.1"));
    Files.writeString(payload.resolve("application.yml"), "a: 2\n");
    Files.createSymbolicLink(dir.resolve("..data_tmp"), payload.getFileName());
    await().pollDelay(Duration.ofMillis(50)).until(() -> true); // past the bounded poll
    assertThat(changes).hasSize(1);
    Files.delete(dir.resolve("..data_tmp"));
    kubelet(dir, Map.of("application.yml", "a: 3\n"));
    awaitChanges(2);
    assertThat(changes.get(1).snapshot().files().get(0).content())
        .isEqualTo("a: 3\n".getBytes(StandardCharsets.UTF_8));
    assertThat(changes).hasSize(2);
  }

  @Test
  void aPlainDirWrittenInStepsIsReportedOnceWhenQuiet() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("plain"));
    Files.writeString(dir.resolve("application.yml"), "a: 0\n");
    start(dir, "60000");
    // an editor's rename-over save plus a second file, within the quiet period
    Files.writeString(dir.resolve(".application.yml.swp"), "a: 1\n");
    Files.move(
        dir.resolve(".application.yml.swp"),
        dir.resolve("application.yml"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(dir.resolve("more.yml"), "b: 1\n");
    awaitChanges(2);
    await().pollDelay(Duration.ofMillis(300)).until(() -> true); // the quiet window, elapsed
    assertThat(changes).hasSize(2);
    assertThat(changes.get(1).snapshot().files()).hasSize(2);
  }

  @Test
  void aDirCreatedAfterStartIsPickedUpByTheRehash() throws Exception {
    Path dir = tmp.resolve("later");
    start(dir, "100");
    assertThat(changes.get(0).snapshot().present()).isFalse();
    kubelet(dir, Map.of("application.yml", "a: 1\n"));
    awaitChanges(2);
    assertThat(changes.get(1).snapshot().present()).isTrue();
    // and it is watched from then on
    kubelet(dir, Map.of("application.yml", "a: 2\n"));
    awaitChanges(3);
    assertThat(source.problem()).isEmpty();
  }
}
