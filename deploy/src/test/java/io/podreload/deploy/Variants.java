package io.podreload.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Every way the manifests are meant to be applied: k8s/ itself, the base, each overlay, and the
 * base with each component. Found on disk, so a new overlay or component is checked too.
 */
final class Variants {
  static final String DEV = "overlays/dev";
  static final String PROD = "overlays/prod";
  static final String API_WATCH = "base+components/api-watch";
  static final String VAULT = "base+components/vault";
  static final String ELASTICSEARCH = "base+components/elasticsearch";

  /**
   * Overlays that are not applied to a cluster: local adapts the pod to podman kube play (no native
   * sidecars, host ports; docs/podman.md), so the cluster's contract does not hold there.
   */
  static final Set<String> NOT_FOR_A_CLUSTER = Set.of("local");

  private static final Map<String, Manifests> RENDERED = new ConcurrentHashMap<>();

  private Variants() {}

  /**
   * Components added to an overlay or the base together, in both orders: each must render what it
   * says whatever else is on and wherever it stands in the list.
   */
  static final List<String> COMBINATIONS =
      List.of(
          "overlays/dev+components/vault",
          "overlays/prod+components/vault",
          "overlays/prod+components/api-watch+components/vault",
          "overlays/prod+components/vault+components/api-watch",
          "overlays/prod+components/elasticsearch+components/monitoring",
          "overlays/prod+components/api-watch+components/progressive-rollout");

  /** The variants' names; a method source for parameterized tests. */
  static List<String> names() {
    List<String> names = new ArrayList<>(List.of("k8s", "base"));
    subdirs("kustomize/overlays").stream()
        .filter(d -> !NOT_FOR_A_CLUSTER.contains(d))
        .forEach(d -> names.add("overlays/" + d));
    List<String> components = subdirs("kustomize/components");
    components.forEach(d -> names.add("base+components/" + d));
    names.addAll(COMBINATIONS);
    // The base with every component, in both orders.
    if (components.size() > 1) {
      names.add(
          "base+" + String.join("+", components.stream().map(c -> "components/" + c).toList()));
      List<String> reversed = new ArrayList<>(components);
      Collections.reverse(reversed);
      names.add("base+" + String.join("+", reversed.stream().map(c -> "components/" + c).toList()));
    }
    return names;
  }

  /** The components a variant adds to its resource, in order. */
  static List<String> components(String name) {
    List<String> parts = List.of(name.split("\\+"));
    return parts.subList(1, parts.size()).stream()
        .map(p -> p.substring("components/".length()))
        .toList();
  }

  /** The names of the variants that include {@code component}, by overlay or directly. */
  static List<String> including(String component) {
    return names().stream()
        .filter(n -> components(n).contains(component) || overlayUses(n, component))
        .toList();
  }

  static Manifests get(String name) {
    Kustomize.assumeKubectl();
    return RENDERED.computeIfAbsent(name, n -> Manifests.parse(n, render(n)));
  }

  private static String render(String name) {
    if (name.equals("k8s")) {
      return Kustomize.render(Repo.path("k8s"));
    }
    if (name.contains("+")) {
      return Kustomize.renderWith(
          Repo.path("kustomize/" + name.substring(0, name.indexOf('+'))),
          components(name).stream().map(c -> Repo.path("kustomize/components/" + c)).toList());
    }
    return Kustomize.render(Repo.path("kustomize/" + name));
  }

  static boolean overlayUses(String name, String component) {
    if (!name.startsWith("overlays/")) {
      return false;
    }
    String overlay = name.split("\\+")[0];
    try {
      JsonNode components =
          Manifests.YAML
              .readTree(Repo.read("kustomize/" + overlay + "/kustomization.yaml"))
              .path("components");
      for (JsonNode c : components) {
        if (c.asText().endsWith("components/" + component)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> subdirs(String dir) {
    Path path = Repo.path(dir);
    if (!Files.isDirectory(path)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(path)) {
      return children
          .filter(p -> Files.isRegularFile(p.resolve("kustomization.yaml")))
          .map(p -> p.getFileName().toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
