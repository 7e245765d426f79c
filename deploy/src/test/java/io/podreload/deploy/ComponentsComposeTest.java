package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Components compose in any order: the reloader's sources are exactly the volume plus one per
 * source component the variant includes (by its overlay or added to it), whatever the order and
 * whatever else is on, because each component sets its own switch and nothing else.
 */
class ComponentsComposeTest {
  /** The source each component switches on (progressive rollout rolls out the API's content). */
  static final Map<String, String> SOURCE_OF_COMPONENT =
      Map.of("api-watch", "configmap", "vault", "vault", "progressive-rollout", "configmap");

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void theReloaderRunsTheVolumeAndTheSourceOfEveryComponentIncluded(String variant) {
    Set<String> expected = new TreeSet<>(Set.of("volume"));
    SOURCE_OF_COMPONENT.forEach(
        (component, source) -> {
          if (Variants.components(variant).contains(component)
              || Variants.overlayUses(variant, component)) {
            expected.add(source);
          }
        });

    assertThat(Settings.of(Variants.get(variant), "reloader").sources()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void noVariantSetsTheListOfSourcesThatTheLastPatchWouldWin(String variant) {
    // RELOADER_SOURCES is the programs' fallback: a list set by one patch replaces every other
    // component's, which is how adding vault to prod once rendered the volume source alone.
    assertThat(Variants.get(variant).env("reloader")).doesNotContainKey("RELOADER_SOURCES");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void noSourceGetsItsSettingsWhileItsSwitchIsOff(String variant) {
    // The reloader refuses to start then: a component whose switch was lost would otherwise
    // silently deliver nothing.
    Manifests m = Variants.get(variant);
    Set<String> on = Settings.of(m, "reloader").sources();
    Map<String, List<String>> prefixes =
        Map.of(
            "configmap", List.of("RELOADER_CONFIGMAP_"),
            "vault", List.of("RELOADER_VAULT_", "VAULT_ADDR", "VAULT_TOKEN"));

    prefixes.forEach(
        (source, names) -> {
          if (!on.contains(source)) {
            assertThat(m.env("reloader").keySet())
                .as(source + " is off")
                .noneMatch(n -> names.stream().anyMatch(n::startsWith));
          }
        });
  }

  @Test
  void theCombinationsIncludeEveryOrderThatUsedToGoWrong() {
    assertThat(Variants.names())
        .contains(
            "overlays/dev+components/vault",
            "overlays/prod+components/vault",
            "overlays/prod+components/api-watch+components/vault",
            "overlays/prod+components/vault+components/api-watch");
    List<String> all =
        Variants.names().stream()
            .filter(n -> n.startsWith("base+") && Variants.components(n).size() > 1)
            .toList();
    assertThat(all).hasSize(2);
    List<String> reversed = new ArrayList<>(Variants.components(all.get(1)));
    java.util.Collections.reverse(reversed);
    assertThat(Variants.components(all.get(0))).isEqualTo(reversed);
  }

  @Test
  void eachComponentSetsOnlyItsOwnSourceSwitch() throws IOException {
    for (Path dir : list(Repo.path("kustomize/components"))) {
      String component = dir.getFileName().toString();
      Set<String> switches = new TreeSet<>();
      for (Path file : list(dir)) {
        if (!file.toString().endsWith(".yaml")) {
          continue;
        }
        for (JsonNode doc :
            Manifests.YAML
                .readerFor(JsonNode.class)
                .<JsonNode>readValues(Files.readString(file))
                .readAll()) {
          doc.findValues("env").stream()
              .flatMap(env -> toList(env).stream())
              .map(e -> e.path("name").asText())
              .filter(
                  n -> Settings.SOURCE_SWITCHES.containsValue(n) || n.equals("RELOADER_SOURCES"))
              .forEach(switches::add);
        }
      }
      String own = SOURCE_OF_COMPONENT.get(component);
      assertThat(switches)
          .as(component)
          .isEqualTo(own == null ? Set.of() : Set.of(Settings.SOURCE_SWITCHES.get(own)));
    }
  }

  private static List<JsonNode> toList(JsonNode array) {
    List<JsonNode> items = new ArrayList<>();
    array.forEach(items::add);
    return items;
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> children = Files.list(dir)) {
      return children.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
