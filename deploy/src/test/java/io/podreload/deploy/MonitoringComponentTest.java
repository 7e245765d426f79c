package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kustomize/components/monitoring: a PodMonitor for all three programs, alerts that parse and name
 * their fix, a dashboard the Grafana sidecar finds. That every metric named here is one the
 * programs export is checked against their real /prometheus output by the e2e module's
 * MonitoringMetricsEndToEndTest.
 */
class MonitoringComponentTest {
  static final String VARIANT = "base+components/monitoring";

  /** The prefixes of the programs' own metrics; the e2e test finds the names by them. */
  static final List<String> PREFIXES = List.of("reloader_", "logger_", "app_");

  static List<String> monitoringVariants() {
    return Variants.including("monitoring");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("monitoringVariants")
  void podMonitorScrapesPrometheusOnEveryProgramsManagementPort(String variant) {
    Manifests m = Variants.get(variant);
    GenericKubernetesResource monitor = custom(m, "PodMonitor", "app");
    JsonNode spec = Manifests.YAML.valueToTree(monitor.getAdditionalProperties().get("spec"));
    Map<String, String> podLabels =
        m.deployment().getSpec().getTemplate().getMetadata().getLabels();

    Map<String, String> selector = new LinkedHashMap<>();
    spec.path("selector")
        .path("matchLabels")
        .fields()
        .forEachRemaining(e -> selector.put(e.getKey(), e.getValue().asText()));
    assertThat(selector).isNotEmpty();
    assertThat(podLabels).containsAllEntriesOf(selector);
    Map<String, String> containerByPort = new LinkedHashMap<>();
    for (Container c : m.containers()) {
      for (ContainerPort p : c.getPorts()) {
        containerByPort.put(p.getName(), c.getName());
      }
    }
    List<String> scraped = new ArrayList<>();
    for (JsonNode endpoint : spec.path("podMetricsEndpoints")) {
      assertThat(endpoint.path("path").asText()).isEqualTo("/prometheus");
      String port = endpoint.path("port").asText();
      assertThat(containerByPort).as("a container declares port " + port).containsKey(port);
      scraped.add(containerByPort.get(port));
    }
    assertThat(scraped).containsExactlyInAnyOrder("app", "reloader", "logger");
    // Never the Service's port: the management endpoints are not the business port.
    assertThat(scraped.indexOf("app")).isNotNegative();
    assertThat(spec.path("podMetricsEndpoints").findValuesAsText("port")).doesNotContain("http");
  }

  @Test
  void everyAlertParsesSaysWhatToDoAndTheSetCoversWhatOperatorsNeed() {
    List<JsonNode> alerts = alerts();

    assertThat(alerts)
        .extracting(a -> a.path("alert").asText())
        .containsExactlyInAnyOrder(
            "PodreloadReloaderNoTarget",
            "PodreloadReloaderDegraded",
            "PodreloadConfigRejected",
            "PodreloadAppStuckOnOldConfig",
            "PodreloadReloadLatencyHigh",
            "PodreloadWatchFailing",
            "PodreloadWatchRelistLoop",
            "PodreloadVaultFailing",
            "PodreloadLoggerBehind",
            "PodreloadLoggerLosingFiles",
            "PodreloadLoggerDroppingLines");
    for (JsonNode alert : alerts) {
      String name = alert.path("alert").asText();
      Set<String> metrics = PromQl.parse(alert.path("expr").asText());
      assertThat(metrics).as(name + " selects a metric").isNotEmpty();
      assertThat(metrics)
          .as(name + ": metrics of the programs")
          .allSatisfy(n -> assertThat(PREFIXES).anyMatch(n::startsWith));
      assertThat(alert.path("labels").path("severity").asText())
          .as(name + " severity")
          .isIn("warning", "critical");
      assertThat(alert.path("annotations").path("summary").asText()).as(name).isNotBlank();
      // The fix: a command, a setting or a check to make, not only what went wrong.
      assertThat(alert.path("annotations").path("description").asText())
          .as(name + " description names the fix")
          .containsPattern(
              "(?i)\\b(check|fix|set|raise|keep|give|label|look for|see|edit|read)\\b");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "rate(x[5m])",
        "sum by (le (rate(x[5m])))",
        "sum(rate(x{a=\"b\"}[5m])",
        "histogram_quantile(0.9, rate(x[5m]) >",
        "x{a=b}",
        "rate(x[5])",
        "nosuchfunction(x)",
        "sum by (a) (x) ) "
      })
  void theParserRefusesWhatPrometheusWouldRefuse(String expr) {
    if (expr.equals("rate(x[5m])")) {
      assertThat(PromQl.parse(expr)).containsExactly("x");
      return;
    }
    assertThatThrownBy(() -> PromQl.parse(expr)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theParserReadsWhatPrometheusReads() {
    assertThat(
            PromQl.parse(
                "sum without (pod) (a{x=~\"1|2\",}[5m:1m] offset 1h) / on (ns) group_left (z)"
                    + " count_values(\"v\", b) > bool 0.5 or -c unless topk(3, d) and vector(1)"))
        .containsExactly("a", "b", "c", "d");
  }

  @Test
  void dashboardIsValidJsonInAConfigMapTheGrafanaSidecarFinds() throws Exception {
    Manifests m = Variants.get(VARIANT);
    ConfigMap config = m.one(ConfigMap.class, "podreload-dashboard");
    JsonNode dashboard = new ObjectMapper().readTree(config.getData().get("podreload.json"));

    assertThat(config.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    assertThat(config.getData()).containsOnlyKeys("podreload.json");
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    assertThat(dashboard.path("title").asText()).isNotBlank();
    assertThat(dashboard.path("panels").findValuesAsText("title"))
        .contains(
            "Reloads by result",
            "Change to acknowledged",
            "Config generation per pod",
            "Logger lag",
            "Logger throughput");
    Set<String> ids = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asText())).as("panel ids are unique").isTrue();
      assertThat(panel.path("gridPos").path("w").asInt()).isPositive();
      assertThat(panel.path("targets")).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        Set<String> metrics = PromQl.parse(grafanaVariablesReplaced(target.path("expr").asText()));
        assertThat(metrics)
            .as(panel.path("title").asText())
            .isNotEmpty()
            .allSatisfy(n -> assertThat(PREFIXES).anyMatch(n::startsWith));
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      String query = variable.path("definition").asText();
      if (!query.isEmpty()) {
        assertThat(query).startsWith("label_values(");
      }
    }
  }

  /** Alerts and panels together: the metric names the component relies on. */
  @Test
  void theComponentNamesOnlyMetricsWithTheProgramsPrefixes() throws Exception {
    Set<String> names = new TreeSet<>();
    alerts().forEach(a -> names.addAll(PromQl.parse(a.path("expr").asText())));
    JsonNode dashboard =
        new ObjectMapper().readTree(Repo.read("kustomize/components/monitoring/dashboard.json"));
    dashboard
        .findValuesAsText("expr")
        .forEach(e -> names.addAll(PromQl.parse(grafanaVariablesReplaced(e))));

    assertThat(names).allSatisfy(n -> assertThat(PREFIXES).anyMatch(n::startsWith));
    assertThat(names).contains("reloader_reloads_total", "app_config_generation");
  }

  static String grafanaVariablesReplaced(String expr) {
    return expr.replace("$__rate_interval", "5m").replace("$namespace", "ns");
  }

  static List<JsonNode> alerts() {
    GenericKubernetesResource rule = custom(Variants.get(VARIANT), "PrometheusRule", "podreload");
    JsonNode spec = Manifests.YAML.valueToTree(rule.getAdditionalProperties().get("spec"));
    List<JsonNode> alerts = new ArrayList<>();
    for (JsonNode group : spec.path("groups")) {
      assertThat(group.path("name").asText()).isNotBlank();
      group.path("rules").forEach(alerts::add);
    }
    return alerts;
  }

  static GenericKubernetesResource custom(Manifests m, String kind, String name) {
    return m.all(GenericKubernetesResource.class).stream()
        .filter(r -> kind.equals(r.getKind()) && name.equals(r.getMetadata().getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(m + " renders no " + kind + " " + name));
  }
}
