package io.podreload.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kustomize/components/monitoring relies only on metrics the programs really export: every
 * podreload metric its alerts and dashboard name is in the /prometheus output of the running app,
 * reloader and logger (the pod of {@code bin/local-pod}, after requests, an applied and a refused
 * change). The metrics of the ConfigMap-API and Vault sources ({@code reloader_api_*}, {@code
 * reloader_vault_*}) exist only while those sources run, which needs a Kubernetes API server or a
 * Vault (none here): those names must be registered, literally, by the reloader's source code.
 */
class MonitoringMetricsEndToEndTest {
  private static final Path COMPONENT = LocalPod.ROOT.resolve("kustomize/components/monitoring");
  private static final Pattern NAME =
      Pattern.compile("(?<![\\w-])((?:reloader|logger|app)_[a-z0-9_]*[a-z0-9])(?![\\w-])");
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");
  private static final List<String> ONLY_WITH_THEIR_SOURCE =
      List.of("reloader_api_", "reloader_vault_");
  private static final List<String> SUFFIXES = List.of("_total", "_bucket", "_sum", "_count");

  @TempDir Path dir;

  @Test
  void everyMetricTheAlertsAndTheDashboardNameIsExportedByTheRunningPrograms() throws Exception {
    Set<String> used = namesUsedByTheComponent();
    Set<String> exported = new TreeSet<>();
    try (LocalPod pod = LocalPod.start(dir, Map.of())) {
      pod.get(pod.appPort, "/?from=monitoring-test");
      pod.edit("app:\n  greeting: \"monitored\"\n");
      await("the edit is served")
          .atMost(Duration.ofSeconds(60))
          .until(() -> "monitored".equals(pod.greeting()));
      pod.edit("app:\n  greeting: \" \"\n");
      await("the refused edit is counted")
          .atMost(Duration.ofSeconds(60))
          .until(() -> pod.metric(pod.reloaderPort, "reloader_reloads_total\\{.*rejected.*") > 0);
      await("the logger has followed the access log")
          .atMost(Duration.ofSeconds(30))
          .until(() -> pod.metric(pod.loggerPort, "logger_lines_written_total.*") > 0);
      for (int port : new int[] {pod.appManagementPort, pod.reloaderPort, pod.loggerPort}) {
        exported.addAll(sampleNames(pod.get(port, "/prometheus").body()));
      }
    }

    assertTrue(used.size() >= 10, "the component names the programs' metrics: " + used);
    Set<String> missing = new TreeSet<>();
    String reloaderSources = sourcesOf("reloader");
    for (String name : used) {
      if (exported.contains(name)) {
        continue;
      }
      boolean sourceOnly = ONLY_WITH_THEIR_SOURCE.stream().anyMatch(name::startsWith);
      if (!sourceOnly || !reloaderSources.contains('"' + familyOf(name) + '"')) {
        missing.add(name);
      }
    }
    assertEquals(Set.of(), missing, "named by the monitoring component but exported by no program");
  }

  @Test
  void namesAreFoundInRulesAndPanels() {
    Set<String> used = namesUsedByTheComponent();

    assertTrue(used.contains("reloader_reloads_total"), used.toString());
    assertTrue(used.contains("reloader_reload_latency_seconds_bucket"), used.toString());
    assertTrue(used.contains("app_config_generation"), used.toString());
    assertTrue(used.contains("logger_bytes_behind"), used.toString());
  }

  /** The metric names of an exposition: every sample's name (histograms by _bucket, _sum ...). */
  static Set<String> sampleNames(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!line.startsWith("#") && m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  static Set<String> namesUsedByTheComponent() {
    Set<String> names = new TreeSet<>();
    for (String file : List.of("prometheusrule.yaml", "dashboard.json")) {
      Matcher m = NAME.matcher(read(COMPONENT.resolve(file)));
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  private static String familyOf(String name) {
    for (String suffix : SUFFIXES) {
      if (name.endsWith(suffix)) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return name;
  }

  private static String sourcesOf(String module) throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.walk(LocalPod.ROOT.resolve(module + "/src/main/java"))) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        all.append(Files.readString(p));
      }
    }
    return all.toString();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
