package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The app.kubernetes.io labels: on everything, and in selectors only what never changes. */
class LabelsTest {
  static List<String> kustomized() {
    return Variants.names().stream().filter(n -> !n.equals("k8s")).toList();
  }

  static List<String> clusterOverlays() {
    return List.of(Variants.DEV, Variants.PROD);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomized")
  void everyResourceIsLabelledAsPartOfPodreload(String variant) {
    assertThat(Variants.get(variant).items())
        .allSatisfy(
            r ->
                assertThat(r.getMetadata().getLabels())
                    .as(r.getKind() + " " + r.getMetadata().getName())
                    .containsEntry("app.kubernetes.io/part-of", "podreload"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clusterOverlays")
  void anOverlayLabelsEverythingItCreatesWithItsInstance(String variant) {
    List<HasMetadata> items = Variants.get(variant).items();

    assertThat(items)
        .extracting(r -> r.getMetadata().getLabels().get("app.kubernetes.io/instance"))
        .doesNotContainNull()
        .containsOnly(items.get(0).getMetadata().getLabels().get("app.kubernetes.io/instance"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomized")
  void selectorsHoldOnlyLabelsThatNeverChange(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.deployment().getSpec().getSelector().getMatchLabels())
        .containsOnlyKeys("app.kubernetes.io/name", "app.kubernetes.io/part-of");
    assertThat(m.one(Service.class, "app").getSpec().getSelector())
        .containsOnlyKeys("app.kubernetes.io/name", "app.kubernetes.io/part-of");
    assertThat(m.deployment().getSpec().getTemplate().getMetadata().getLabels())
        .containsKey("app.kubernetes.io/version");
  }
}
