package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An offline schema check: every rendered resource is of a kind the Kubernetes model knows, and has
 * no field that the model does not (a misspelt or misplaced field, which kubectl apply would
 * reject, or worse, which an older API server would drop). fabric8's classes follow the API's
 * OpenAPI schema; a field they do not know lands in additionalProperties, which must stay empty.
 */
class SchemaTest {
  /** Custom resources (the Prometheus Operator's), checked by their own tests. */
  static final Set<String> CUSTOM_KINDS = Set.of("PodMonitor", "PrometheusRule");

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void everyResourceIsAKnownKindWithOnlyFieldsItsSchemaDefines(String variant) {
    for (HasMetadata r : Variants.get(variant).items()) {
      String name = r.getKind() + " " + r.getMetadata().getName();
      if (r instanceof GenericKubernetesResource) {
        assertThat(r.getKind()).as(name + " is a kind the model knows").isIn(CUSTOM_KINDS);
        continue;
      }
      List<String> unknown = new ArrayList<>();
      unknownFields(r, name, unknown);
      assertThat(unknown).as(variant + ": fields the schema does not define").isEmpty();
    }
  }

  /** Walks the model's getters; collects the paths of fields the model did not recognise. */
  static void unknownFields(Object node, String path, List<String> unknown) {
    if (node == null) {
      return;
    }
    if (node instanceof Collection<?> list) {
      int i = 0;
      for (Object item : list) {
        unknownFields(item, path + "[" + i++ + "]", unknown);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, unknown));
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method m : node.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || Modifier.isStatic(m.getModifiers())
          || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = m.invoke(node);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(k -> unknown.add(path + "." + k));
        }
      } else {
        unknownFields(value, path + "." + m.getName().substring(3), unknown);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void aMisspeltFieldIsFoundOut() {
    Manifests m =
        Manifests.parse(
            "typo",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n"
                + "spec:\n  podSelector: {}\n  ingres:\n    - ports: [{port: 80}]\n");
    List<String> unknown = new ArrayList<>();

    unknownFields(m.items().get(0), "NetworkPolicy x", unknown);

    assertThat(unknown).containsExactly("NetworkPolicy x.Spec.ingres");
  }
}
