package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Settings cannot drift: a variable the manifests give a container is documented for that program
 * in docs/configuration.md, and every variable documented there is read by the program's code.
 */
class SettingsDriftTest {
  private static final List<String> PROGRAMS = List.of("app", "reloader", "logger");

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void everySettingTheManifestsGiveAContainerIsDocumentedForItsProgram(String variant) {
    Manifests m = Variants.get(variant);
    ConfigurationReference reference = ConfigurationReference.read();

    for (Container c : m.containers()) {
      Set<String> undocumented = new TreeSet<>();
      c.getEnv().stream()
          .map(EnvVar::getName)
          .filter(name -> !reference.settings(c.getName()).contains(name))
          .forEach(undocumented::add);
      assertThat(undocumented)
          .as(
              "%s: variables set on container %s but not in the '## %s' tables of %s",
              variant, c.getName(), c.getName(), ConfigurationReference.PATH)
          .isEmpty();
    }
  }

  @Test
  void everySettingTheReferenceDocumentsIsReadByItsProgram() {
    ConfigurationReference reference = ConfigurationReference.read();

    for (String program : PROGRAMS) {
      ProgramSources sources = ProgramSources.of(program);
      Set<String> unread = new TreeSet<>();
      reference.settings(program).stream().filter(s -> !sources.reads(s)).forEach(unread::add);
      assertThat(unread)
          .as(
              "documented under '## %s' in %s but read nowhere in %s/src/main or common/src/main"
                  + " (neither the name nor its property form)",
              program, ConfigurationReference.PATH, program)
          .isEmpty();
    }
  }

  @Test
  void theReferenceDocumentsTheSettingsThatTieTheContainersTogether() {
    ConfigurationReference reference = ConfigurationReference.read();

    assertThat(reference.settings("app"))
        .contains("APP_CONFIG_DIRS", "APP_SECRET_DIRS", "APP_ACCESS_LOG", "APP_STATUS_FILE");
    assertThat(reference.settings("reloader"))
        .contains(
            "RELOADER_SOURCES",
            "RELOADER_VOLUME_DIRS",
            "RELOADER_STATUS_FILE",
            "RELOADER_RENDER_DIR",
            "RELOADER_SECRETS_DIR",
            "POD_NAME",
            "VAULT_ADDR");
  }

  @Test
  void aSettingCountsAsReadThroughItsNameItsPropertyFormOrARecordComponent() {
    ProgramSources sources =
        new ProgramSources(
            Map.of(
                "Settings.java",
                "@ConfigurationProperties(\"reloader.vault\")\n"
                    + "public record VaultSettings(Duration pollInterval) {}",
                "Other.java",
                "String s = env.get(\"APP_STATUS_FILE\");",
                "Batching.java",
                "integer(p, prefix + \".batch-lines\", 1000); batching(p, \"logger.loki\");",
                "application.yml",
                "micronaut:\n  server:\n    port: ${LOGGER_HTTP_PORT:8082}\n"
                    + "kubernetes:\n  client:\n    base-path: http://x\n"));

    assertThat(sources.reads("RELOADER_VAULT_POLL_INTERVAL")).isTrue();
    assertThat(sources.reads("APP_STATUS_FILE")).isTrue();
    assertThat(sources.reads("LOGGER_HTTP_PORT")).isTrue();
    assertThat(sources.reads("KUBERNETES_CLIENT_BASE_PATH")).isTrue();
    assertThat(sources.reads("LOGGER_LOKI_BATCH_LINES")).isTrue();
    assertThat(sources.reads("LOGGER_LOKI_BATCH_BYTES")).isFalse();
  }

  @Test
  void aSettingNobodyReadsIsFoundOut() {
    ProgramSources sources =
        new ProgramSources(
            Map.of(
                "Settings.java",
                "@ConfigurationProperties(\"reloader\")\n"
                    + "public record ReloaderSettings(List<Path> volumeDirs) {}\n"
                    + "// RELOADER_VOLUME_DIRS_EXTRA is something else",
                "application.yml",
                "reloader:\n  volume: x\n"));

    assertThat(sources.reads("RELOADER_VOLUME_DIRS")).isTrue();
    assertThat(sources.reads("RELOADER_VOLUME")).isTrue();
    assertThat(sources.reads("RELOADER_VOLUME_DIR")).isFalse();
    assertThat(sources.reads("RELOADER_DIRS")).isFalse();
    assertThat(sources.reads("RELOADER_VOLUME_DIRS_EXTRAS")).isFalse();
  }

  @Test
  void theReferenceIsReadTableByTableUnderEachProgramsHeading() {
    ConfigurationReference reference =
        ConfigurationReference.parse(
            String.join(
                "\n",
                "## app",
                "| setting (env) | default | meaning |",
                "|---|---|---|",
                "| `APP_ONE` | `1` | uses `NOT_A_SETTING` |",
                "",
                "| key | default |",
                "|---|---|",
                "| `APP_KEY_TABLE` | x |",
                "## reloader",
                "### reloader: a source",
                "| setting (env) | default | meaning |",
                "|---|---|---|",
                "| `POD_NAME`, `POD_NAMESPACE` | (none) | |",
                "| `RELOADER_X_BATCH_LINES` / `_BATCH_BYTES` / `_WAIT` | 1 | |"));

    assertThat(reference.settings("app")).containsExactly("APP_ONE");
    assertThat(reference.settings("reloader"))
        .containsExactly(
            "POD_NAME",
            "POD_NAMESPACE",
            "RELOADER_X_BATCH_LINES",
            "RELOADER_X_BATCH_BYTES",
            "RELOADER_X_BATCH_WAIT");
    assertThat(reference.settings("logger")).isEmpty();
  }
}
