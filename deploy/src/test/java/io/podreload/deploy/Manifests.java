package io.podreload.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The resources of one rendered variant, in fabric8's typed model. */
record Manifests(String variant, List<HasMetadata> items) {
  static final YAMLMapper YAML = new YAMLMapper();

  private static final Map<String, Class<? extends HasMetadata>> TYPES =
      Map.ofEntries(
          Map.entry("v1/Namespace", Namespace.class),
          Map.entry("v1/ServiceAccount", ServiceAccount.class),
          Map.entry("v1/ConfigMap", ConfigMap.class),
          Map.entry("v1/Secret", Secret.class),
          Map.entry("v1/Service", Service.class),
          Map.entry("apps/v1/Deployment", Deployment.class),
          Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
          Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
          Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
          Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class),
          Map.entry("rbac.authorization.k8s.io/v1/ClusterRole", ClusterRole.class),
          Map.entry("rbac.authorization.k8s.io/v1/ClusterRoleBinding", ClusterRoleBinding.class));

  static Manifests parse(String variant, String yaml) {
    List<HasMetadata> items = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc == null || doc.isNull() || doc.isEmpty()) {
          continue;
        }
        String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
        items.add(YAML.treeToValue(doc, TYPES.getOrDefault(key, GenericKubernetesResource.class)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the rendering of " + variant, e);
    }
    return new Manifests(variant, List.copyOf(items));
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return items.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
  }

  <T extends HasMetadata> T one(Class<T> type, String name) {
    return find(type, name)
        .orElseThrow(
            () ->
                new AssertionError(
                    variant + " renders no " + type.getSimpleName() + " named " + name));
  }

  Deployment deployment() {
    return one(Deployment.class, "app");
  }

  PodSpec pod() {
    return deployment().getSpec().getTemplate().getSpec();
  }

  /** Init containers (the sidecars) first, in their order, then the main containers. */
  List<Container> containers() {
    return Stream.concat(pod().getInitContainers().stream(), pod().getContainers().stream())
        .toList();
  }

  Container container(String name) {
    return containers().stream()
        .filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(variant + " has no container named " + name));
  }

  /** The names of the containers that mount the pod's volume {@code volume}. */
  List<String> containersMounting(String volume) {
    return containers().stream()
        .filter(c -> c.getVolumeMounts().stream().anyMatch(v -> volume.equals(v.getName())))
        .map(Container::getName)
        .toList();
  }

  /** The container's environment by name; variables given by {@code valueFrom} have no value. */
  Map<String, EnvVar> env(String container) {
    Map<String, EnvVar> env = new LinkedHashMap<>();
    container(container).getEnv().forEach(e -> env.put(e.getName(), e));
    return env;
  }

  Optional<String> envValue(String container, String name) {
    return Optional.ofNullable(env(container).get(name)).map(EnvVar::getValue);
  }

  @Override
  public String toString() {
    return variant;
  }
}
