package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** kustomize/overlays/prod: replicas that survive drains, the volume source, no API access. */
class ProdOverlayTest {
  private final Manifests prod = Variants.get(Variants.PROD);

  @Test
  void prodRunsThreeReplicasAndADrainTakesAtMostOneOfThem() {
    PodDisruptionBudget budget = prod.one(PodDisruptionBudget.class, "app");

    assertThat(prod.deployment().getSpec().getReplicas()).isEqualTo(3);
    assertThat(prod.deployment().getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
    assertThat(budget.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
  }

  @Test
  void prodReloadsFromTheKubeletsVolumeAndHasNoAccessToTheApi() {
    assertThat(Settings.of(prod, "reloader").list("RELOADER_SOURCES")).containsExactly("volume");
    assertThat(prod.all(Role.class)).isEmpty();
    assertThat(prod.pod().getVolumes()).allSatisfy(v -> assertThat(v.getProjected()).isNull());
  }

  @Test
  void prodGivesEveryContainerAtLeastTheBasesResources() {
    Manifests base = Variants.get("base");

    for (Container c : prod.containers()) {
      Container b = base.container(c.getName());
      for (String kind : new String[] {"cpu", "memory"}) {
        assertThat(bytes(c.getResources().getRequests().get(kind)))
            .as(c.getName() + " " + kind + " request")
            .isGreaterThanOrEqualTo(bytes(b.getResources().getRequests().get(kind)));
      }
      assertThat(bytes(c.getResources().getLimits().get("memory")))
          .as(c.getName() + " memory limit")
          .isGreaterThanOrEqualTo(bytes(b.getResources().getLimits().get("memory")));
    }
  }

  @Test
  void prodKeepsTheConfigMapsNameSoThatEditsReloadInPlace() {
    assertThat(prod.find(ConfigMap.class, "app-config")).isPresent();
    assertThat(prod.deployment().getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
        .isEqualTo(new IntOrString(0));
  }

  @Test
  void prodSpreadsReplicasOverZonesAndNodesCountingOnlyTheirOwnReplicaSet() {
    Map<String, TopologySpreadConstraint> byKey = new HashMap<>();
    prod.pod().getTopologySpreadConstraints().forEach(t -> byKey.put(t.getTopologyKey(), t));
    Map<String, String> podLabels =
        prod.deployment().getSpec().getTemplate().getMetadata().getLabels();

    assertThat(byKey).containsOnlyKeys("topology.kubernetes.io/zone", "kubernetes.io/hostname");
    assertThat(byKey.values())
        .allSatisfy(
            t -> {
              assertThat(t.getMaxSkew()).isEqualTo(1);
              assertThat(t.getMatchLabelKeys()).containsExactly("pod-template-hash");
              assertThat(podLabels).containsAllEntriesOf(t.getLabelSelector().getMatchLabels());
              // A zone or node short of room delays no pod: the spread is a preference.
              assertThat(t.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
            });
  }

  @Test
  void aDrainMayEvictAPodThatIsNotReadyEvenWhenTheBudgetIsSpent() {
    assertThat(prod.one(PodDisruptionBudget.class, "app").getSpec().getUnhealthyPodEvictionPolicy())
        .isEqualTo("AlwaysAllow");
  }

  private static BigDecimal bytes(Quantity q) {
    return Quantity.getAmountInBytes(q);
  }
}
