package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.common.KubeletVolume;
import io.podreload.micronaut.ConfigLoader.ConfigLoadException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path work;

  private ConfigLoader loader(String dirs, String secretDirs) {
    return new ConfigLoader(
        new PodreloadSettings(
            true,
            paths(dirs),
            paths(secretDirs),
            work.resolve("status.json"),
            false,
            work.resolve("access.log"),
            10_000,
            1,
            1,
            Duration.ZERO));
  }

  private static List<Path> paths(String commaList) {
    return Arrays.stream(commaList.split(",")).filter(s -> !s.isBlank()).map(Path::of).toList();
  }

  private void kubelet(Path dir, Map<String, String> files) throws Exception {
    Map<String, byte[]> bytes = new java.util.HashMap<>();
    files.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
    KubeletVolume.write(dir, bytes, PosixFilePermissions.fromString("rw-r--r--"));
  }

  @Test
  void laterDirsWinAndEveryFormatIsRead() throws Exception {
    Path a = work.resolve("a");
    Path b = work.resolve("b");
    kubelet(a, Map.of("application.yml", "app:\n  greeting: a\n  other: 1\n"));
    kubelet(b, Map.of("x.json", "{\"app\":{\"greeting\":\"b\"}}", "y.properties", "z.k=v\n"));
    ConfigSet set = loader(a + "," + b, "").merge(loader(a + "," + b, "").read());
    assertThat(set.properties())
        .containsEntry("app.greeting", "b")
        .containsEntry("app.other", 1)
        .containsEntry("z.k", "v");
    assertThat(set.origins()).containsEntry("app.greeting", b).containsEntry("app.other", a);
    assertThat(set.sources()).containsOnlyKeys(a.toString(), b.toString());
  }

  @Test
  void dotEntriesAndOtherExtensionsAreIgnoredAndMissingDirsSkipped() throws Exception {
    Path a = work.resolve("a");
    Files.createDirectories(a);
    Files.writeString(a.resolve(".hidden.yml"), "app:\n  greeting: hidden\n");
    Files.writeString(a.resolve("notes.txt"), "not config");
    Files.writeString(a.resolve("app.yaml"), "app:\n  greeting: shown\n");
    ConfigLoader loader = loader(a + "," + work.resolve("missing"), "");
    ConfigSet set = loader.merge(loader.read());
    assertThat(set.properties()).containsOnly(Map.entry("app.greeting", "shown"));
    assertThat(set.snapshots().get(1).present()).isFalse();
  }

  @Test
  void theVersionIsStableForIdenticalContentAndChangesWithIt() throws Exception {
    Path a = work.resolve("a");
    kubelet(a, Map.of("application.yml", "app:\n  greeting: one\n"));
    ConfigLoader loader = loader(a.toString(), "");
    String first = loader.merge(loader.read()).version();
    kubelet(a, Map.of("application.yml", "app:\n  greeting: one\n"));
    assertThat(loader.merge(loader.read()).version()).isEqualTo(first);
    kubelet(a, Map.of("application.yml", "app:\n  greeting: two\n"));
    assertThat(loader.merge(loader.read()).version()).isNotEqualTo(first);
  }

  @Test
  void nonUtf8BytesAreRejectedWithTheFileName() throws Exception {
    Path a = work.resolve("a");
    Files.createDirectories(a);
    Files.write(a.resolve("application.yml"), new byte[] {'a', ':', ' ', (byte) 0xff, '\n'});
    ConfigLoader loader = loader(a.toString(), "");
    assertThatThrownBy(() -> loader.merge(loader.read()))
        .isInstanceOf(ConfigLoadException.class)
        .hasMessageContaining("application.yml")
        .hasMessageContaining("UTF-8");
  }

  @Test
  void parseErrorsInSecretDirsNameThePlaceButNotTheContent() throws Exception {
    Path s = work.resolve("s");
    kubelet(s, Map.of("x.json", "{\"k\": unquoted-secret-token}"));
    ConfigLoader loader = loader(s.toString(), s.toString());
    assertThatThrownBy(() -> loader.merge(loader.read()))
        .hasMessageContaining("x.json")
        .hasMessageContaining("line 1")
        .hasMessageNotContaining("unquoted-secret-token");
  }

  @Test
  void onlyTheFilesThatChangedAreParsedAgain() throws Exception {
    Path a = work.resolve("a");
    Path b = work.resolve("b");
    kubelet(a, Map.of("lists.yml", "app:\n  items: [x, y]\n"));
    kubelet(b, Map.of("one.yml", "app:\n  greeting: one\n", "two.yml", "db:\n  hosts: [h1]\n"));
    ConfigLoader loader = loader(a + "," + b, "");
    ConfigSet first = loader.merge(loader.read());

    kubelet(b, Map.of("one.yml", "app:\n  greeting: two\n", "two.yml", "db:\n  hosts: [h1]\n"));
    ConfigSet second = loader.merge(loader.read());

    assertThat(second.properties()).containsEntry("app.greeting", "two");
    // a file parsed again would give new list instances; unchanged ones give the same
    assertThat(second.properties().get("app.items")).isSameAs(first.properties().get("app.items"));
    assertThat(second.properties().get("db.hosts")).isSameAs(first.properties().get("db.hosts"));
    kubelet(a, Map.of("lists.yml", "app:\n  items: [x, y]\n# touched\n"));
    ConfigSet third = loader.merge(loader.read());
    assertThat(third.properties().get("app.items"))
        .isEqualTo(first.properties().get("app.items"))
        .isNotSameAs(first.properties().get("app.items"));
  }
}
