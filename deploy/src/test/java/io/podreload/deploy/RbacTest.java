package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ProjectedVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reloader may read one ConfigMap and write Events (and, with progressive rollout, write its
 * two coordination ConfigMaps); nothing else, and nobody else.
 */
class RbacTest {
  private static final String SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

  static List<String> apiWatchVariants() {
    return Variants.including("api-watch");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void rolesGrantOnlyReadingTheAppConfigConfigMapAndCreatingEvents(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.all(ClusterRole.class)).isEmpty();
    assertThat(m.all(ClusterRoleBinding.class)).isEmpty();
    assertThat(m.all(Role.class))
        .flatExtracting(Role::getRules)
        .allSatisfy(
            rule -> {
              assertThat(rule.getApiGroups()).containsExactly("");
              assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
              if (rule.getResources().equals(List.of("configmaps"))
                  && rule.getResourceNames().contains("app-config-rollout")) {
                // The progressive rollout's coordination objects (docs/rollout.md), never create.
                assertThat(rule.getResourceNames())
                    .containsExactlyInAnyOrder("app-config-rollout", "app-config-rollout-pods");
                assertThat(rule.getVerbs())
                    .containsExactlyInAnyOrder("get", "list", "watch", "update", "patch");
              } else if (rule.getResources().equals(List.of("configmaps"))) {
                assertThat(rule.getResourceNames()).containsExactly("app-config");
                assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
              } else {
                assertThat(rule.getResources()).containsExactly("events");
                assertThat(rule.getVerbs()).containsExactly("create");
              }
            });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void everyRoleIsBoundToThePodsServiceAccountAlone(String variant) {
    Manifests m = Variants.get(variant);
    String account = m.pod().getServiceAccountName();

    for (RoleBinding binding : m.all(RoleBinding.class)) {
      assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(m.find(Role.class, binding.getRoleRef().getName())).isPresent();
      assertThat(binding.getSubjects())
          .extracting(Subject::getKind, Subject::getName)
          .containsExactly(tuple("ServiceAccount", account));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void theConfigMapSourceRunsOnlyWithTheRoleItNeeds(String variant) {
    Manifests m = Variants.get(variant);
    boolean apiSource = Settings.of(m, "reloader").sources().contains("configmap");
    boolean granted =
        m.all(Role.class).stream()
            .flatMap(r -> r.getRules().stream())
            .anyMatch(r -> r.getResources().contains("configmaps"));

    // Without the Role, the API source fails at start with 403; with it but no source, it is
    // a grant nobody uses.
    assertThat(granted).as("a Role on configmaps").isEqualTo(apiSource);
    if (apiSource) {
      assertThat(m.all(RoleBinding.class)).isNotEmpty();
      assertThat(
              m.all(Role.class).stream()
                  .flatMap(r -> r.getRules().stream())
                  .filter(r -> r.getResources().contains("configmaps"))
                  .map(PolicyRule::getResourceNames)
                  .flatMap(List::stream))
          .containsOnly(rolloutObjects(m).toArray(String[]::new));
    }
  }

  /** The ConfigMap the reloader reads, and under progressive rollout its coordination objects. */
  private static List<String> rolloutObjects(Manifests m) {
    Settings reloader = Settings.of(m, "reloader");
    String name = reloader.getOrDefault("RELOADER_CONFIGMAP_NAME", "app-config");
    return "progressive".equals(reloader.getOrDefault("RELOADER_ROLLOUT", "all-at-once"))
        ? List.of(name, name + "-rollout", name + "-rollout-pods")
        : List.of(name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("apiWatchVariants")
  void onlyTheReloaderGetsAnApiTokenWithTheNamespaceAndTheClusterCa(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.pod().getAutomountServiceAccountToken()).isFalse();
    VolumeMount mount = PodStructureTest.mount(m, "reloader", SERVICE_ACCOUNT_DIR);
    assertThat(mount.getReadOnly()).isTrue();
    Volume volume = PodStructureTest.volumeAt(m, "reloader", SERVICE_ACCOUNT_DIR);
    ProjectedVolumeSource projected = volume.getProjected();
    assertThat(projected).as("a projected volume").isNotNull();
    List<VolumeProjection> sources = projected.getSources();
    assertThat(sources)
        .map(VolumeProjection::getServiceAccountToken)
        .filteredOn(Objects::nonNull)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getPath()).isEqualTo("token");
              assertThat(t.getExpirationSeconds()).isBetween(600L, 86400L);
            });
    assertThat(sources)
        .map(VolumeProjection::getDownwardAPI)
        .filteredOn(Objects::nonNull)
        .flatMap(d -> d.getItems())
        .anySatisfy(
            i -> {
              assertThat(i.getPath()).isEqualTo("namespace");
              assertThat(i.getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
            });
    assertThat(sources)
        .map(VolumeProjection::getConfigMap)
        .filteredOn(Objects::nonNull)
        .anySatisfy(c -> assertThat(c.getName()).isEqualTo("kube-root-ca.crt"));
    assertThat(m.containersMounting(volume.getName())).containsExactly("reloader");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("apiWatchVariants")
  void theReloaderKnowsItsPodFromTheDownwardApiForEvents(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.env("reloader").get("POD_NAME"))
        .extracting(EnvVar::getValueFrom)
        .extracting(v -> v.getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(m.env("reloader").get("POD_NAMESPACE"))
        .extracting(EnvVar::getValueFrom)
        .extracting(v -> v.getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
  }
}
