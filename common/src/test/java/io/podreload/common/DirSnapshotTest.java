package io.podreload.common;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The content hash is a contract between programs: the app reports it, the reloader matches it, and
 * docs/library.md tells a non-JVM app how to compute it. So it is checked against that recipe run
 * by a shell and {@code sha256sum}, and against every change it must see.
 */
class DirSnapshotTest {

  @TempDir Path dir;

  static DirSnapshot of(String... nameThenContent) {
    List<ConfigFile> files = new ArrayList<>();
    for (int i = 0; i < nameThenContent.length; i += 2) {
      files.add(new ConfigFile(nameThenContent[i], nameThenContent[i + 1].getBytes(UTF_8)));
    }
    return new DirSnapshot(Path.of("/etc/app/config"), true, files);
  }

  @Test
  void theHashIsTheDocumentedRecipeAsAShellComputesIt() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("application.yml", "app:\n  greeting: hello\n".getBytes(UTF_8));
    files.put("limits.properties", "app.limit=10\n".getBytes(UTF_8));
    files.put("z.json", "{\"a\": [1, 2]}".getBytes(UTF_8));
    KubeletVolume.write(dir, files, null);

    DirSnapshot snapshot = KubeletVolume.read(dir);

    // docs/library.md: SHA-256 over each file in name order (config files only, no dot-entries),
    // name then content, each as a 4-byte big-endian length and the bytes; first 8 bytes in hex
    String recipe =
        "cd \"$1\" && for f in $(ls | grep -E '\\.(yml|yaml|json|properties)$' | LC_ALL=C sort);"
            + " do for part in name content; do"
            + "   if [ $part = name ]; then bytes=$f; n=${#f}; else n=$(stat -L -c %s \"$f\"); fi;"
            + "   printf \"$(printf '\\\\%03o\\\\%03o\\\\%03o\\\\%03o'"
            + " $((n>>24&255)) $((n>>16&255)) $((n>>8&255)) $((n&255)))\";"
            + "   if [ $part = name ]; then printf '%s' \"$f\"; else cat \"$f\"; fi;"
            + " done; done | sha256sum | cut -c1-16";
    Process shell =
        new ProcessBuilder("bash", "-c", recipe, "recipe", dir.toString())
            .redirectErrorStream(true)
            .start();
    String shellHash = new String(shell.getInputStream().readAllBytes(), UTF_8).trim();
    assertThat(shell.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(snapshot.files()).extracting(ConfigFile::name).hasSize(3);
    assertThat(snapshot.hash()).matches("[0-9a-f]{16}").isEqualTo(shellHash);
  }

  @Test
  void everyChangeOfANameOrAByteChangesTheHashAndNothingElseDoes() {
    String base = of("a.yml", "x: 1\n", "b.yml", "y: 2\n").hash();
    Set<String> hashes = new HashSet<>();
    hashes.add(base);
    hashes.add(of("a.yml", "x: 2\n", "b.yml", "y: 2\n").hash()); // a byte
    hashes.add(of("a.yml", "x: 1\n", "c.yml", "y: 2\n").hash()); // a name
    hashes.add(of("a.yml", "x: 1\n").hash()); // a file less
    hashes.add(of("a.yml", "x: 1\n", "b.yml", "y: 2\n", "c.yml", "").hash()); // an empty file more
    hashes.add(of("a.yml", "x: 1\nb", ".yml", "y: 2\n").hash()); // the same bytes, cut elsewhere
    hashes.add(of("a.ym", "lx: 1\n", "b.yml", "y: 2\n").hash()); // between name and content
    assertThat(hashes).hasSize(7);

    DirSnapshot elsewhere =
        new DirSnapshot(
            Path.of("/somewhere/else"),
            true,
            List.of(
                new ConfigFile("a.yml", "x: 1\n".getBytes(UTF_8)),
                new ConfigFile("b.yml", "y: 2\n".getBytes(UTF_8))));
    assertThat(elsewhere.hash()).as("the same files anywhere").isEqualTo(base);
  }

  @Test
  void aMissingDirIsNotPresentAndHasNoFiles() {
    DirSnapshot missing = DirSnapshot.missing(Path.of("/etc/app/vault"));
    assertThat(missing.present()).isFalse();
    assertThat(missing.files()).isEmpty();
    assertThat(of("a.yml", "x: 1\n").present()).isTrue();
    assertThat(missing.toString()).contains("missing");
    assertThat(of("a.yml", "x: 1\n").toString())
        .contains("1 files")
        .contains(of("a.yml", "x: 1\n").hash());
  }

  @Test
  void theKeyIsTheAbsoluteNormalizedPathSoAppAndReloaderAgree() {
    Path relative = Path.of("config/../config/./app");
    assertThat(DirSnapshot.keyOf(relative))
        .isEqualTo(Path.of("config/app").toAbsolutePath().toString());
    assertThat(new DirSnapshot(relative, true, List.of()).key())
        .isEqualTo(DirSnapshot.keyOf(relative));
    assertThat(new DirSnapshot(relative, true, List.of()).dir()).isEqualTo(relative);
  }

  @Test
  void theVersionOfASetCoversEachPresentDirItsPathAndItsOrderButNoMissingOne() {
    DirSnapshot config = snapshotAt("/etc/app/config", "a.yml", "x: 1\n");
    DirSnapshot secrets = snapshotAt("/etc/app/secrets", "db.yml", "password: s\n");
    DirSnapshot vault = DirSnapshot.missing(Path.of("/etc/app/vault"));

    String version = DirSnapshot.versionOf(List.of(config, secrets));
    assertThat(version).matches("[0-9a-f]{16}");
    assertThat(DirSnapshot.versionOf(List.of(config, secrets, vault)))
        .as("a missing dir adds nothing")
        .isEqualTo(version);
    assertThat(DirSnapshot.versionOf(List.of(secrets, config)))
        .as("later dirs win, so the order is part of the version")
        .isNotEqualTo(version);
    assertThat(
            DirSnapshot.versionOf(
                List.of(config, snapshotAt("/etc/app/other", "db.yml", "password: s\n"))))
        .as("the same content from another dir")
        .isNotEqualTo(version);
    assertThat(
            DirSnapshot.versionOf(
                List.of(config, snapshotAt("/etc/app/secrets", "db.yml", "password: t\n"))))
        .isNotEqualTo(version);
    assertThat(DirSnapshot.versionOf(List.of(config)))
        .isNotEqualTo(DirSnapshot.versionOf(List.of()));
  }

  static DirSnapshot snapshotAt(String dir, String name, String content) {
    return new DirSnapshot(
        Path.of(dir), true, List.of(new ConfigFile(name, content.getBytes(UTF_8))));
  }

  @Test
  void onlyConfigFilesCountAndNoDotEntries() {
    assertThat(ConfigFile.isConfigName("application.yml")).isTrue();
    assertThat(ConfigFile.isConfigName("APP.YAML")).isTrue();
    assertThat(ConfigFile.isConfigName("a.json")).isTrue();
    assertThat(ConfigFile.isConfigName("a.properties")).isTrue();
    assertThat(ConfigFile.isConfigName(".yml")).as("an extension alone").isFalse();
    assertThat(ConfigFile.isConfigName("x.yml.bak")).isFalse();
    assertThat(ConfigFile.isConfigName("..data")).isFalse();
    assertThat(ConfigFile.isConfigName(".hidden.yml")).isFalse();
    assertThat(ConfigFile.isConfigName("README")).isFalse();
    assertThat(new ConfigFile("a.yml", "x".getBytes(UTF_8)))
        .isEqualTo(new ConfigFile("a.yml", "x".getBytes(UTF_8)))
        .hasSameHashCodeAs(new ConfigFile("a.yml", "x".getBytes(UTF_8)))
        .isNotEqualTo(new ConfigFile("a.yml", "y".getBytes(UTF_8)))
        .isNotEqualTo(new ConfigFile("b.yml", "x".getBytes(UTF_8)));
  }
}
