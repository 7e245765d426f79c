package io.podreload.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

  /** The variants' names; a method source for parameterized tests. */
  static List<String> names() {
    List<String> names = new ArrayList<>(List.of("k8s", "base"));
    subdirs("kustomize/overlays").stream()
        .filter(d -> !NOT_FOR_A_CLUSTER.contains(d))
        .forEach(d -> names.add("overlays/" + d));
    subdirs("kustomize/components").forEach(d -> names.add("base+components/" + d));
    return names;
  }

  /** The names of the variants that include {@code component}, by overlay or directly. */
  static List<String> including(String component) {
    return names().stream()
        .filter(n -> n.endsWith("+components/" + component) || overlayUses(n, component))
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
    if (name.startsWith("base+")) {
      return Kustomize.renderWith(
          Repo.path("kustomize/base"),
          List.of(Repo.path("kustomize/" + name.substring("base+".length()))));
    }
    return Kustomize.render(Repo.path("kustomize/" + name));
  }

  private static boolean overlayUses(String name, String component) {
    if (!name.startsWith("overlays/")) {
      return false;
    }
    try {
      JsonNode components =
          Manifests.YAML
              .readTree(Repo.read("kustomize/" + name + "/kustomization.yaml"))
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
