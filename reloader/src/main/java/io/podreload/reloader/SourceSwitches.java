package io.podreload.reloader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which sources run. Each source has its own switch, set by its own kustomize component, so that
 * adding one never turns another off: {@code RELOADER_VOLUME_ENABLED} (default true), {@code
 * RELOADER_CONFIGMAP_ENABLED} and {@code RELOADER_VAULT_ENABLED} (default false). A source whose
 * switch is not set follows {@code RELOADER_SOURCES}, the comma list of earlier versions, when that
 * is set. A source's own settings present while it is off fail the start: that is a component whose
 * switch was lost, and the config it was meant to deliver would silently never arrive. Read from
 * the environment directly: it decides which beans are created at all.
 */
public final class SourceSwitches {

  public static final List<String> SOURCES = List.of("volume", "configmap", "vault");

  /** The sources to run, in a fixed order, or the problems that stop the start. */
  public record Result(List<String> sources, List<String> problems) {}

  private SourceSwitches() {}

  public static Result fromEnvironment() {
    return resolve(System.getenv());
  }

  public static Result resolve(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    List<String> listed = null;
    String list = env.get("RELOADER_SOURCES");
    if (list != null && !list.isBlank()) {
      listed =
          Arrays.stream(list.split(","))
              .map(s -> s.trim().toLowerCase(Locale.ROOT))
              .filter(s -> !s.isEmpty())
              .toList();
      listed.stream()
          .filter(s -> !SOURCES.contains(s))
          .forEach(
              s ->
                  problems.add(
                      "RELOADER_SOURCES: unknown source '"
                          + s
                          + "'; use volume, configmap, vault (or RELOADER_<SOURCE>_ENABLED)"));
    }
    List<String> on = new ArrayList<>();
    for (String source : SOURCES) {
      String variable = switchOf(source);
      String value = env.get(variable);
      boolean enabled;
      if (value != null && !value.isBlank()) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
          problems.add(variable + " must be true or false, not '" + value + "'");
          continue;
        }
        enabled = v.equals("true");
      } else if (listed != null) {
        enabled = listed.contains(source);
      } else {
        enabled = source.equals("volume");
      }
      if (enabled) {
        on.add(source);
      } else {
        settingsOf(source, env)
            .forEach(
                setting ->
                    problems.add(
                        setting
                            + " is set but the "
                            + source
                            + " source is off: set "
                            + variable
                            + "=true (or remove "
                            + setting
                            + ")"));
      }
    }
    if (on.isEmpty() && problems.isEmpty()) {
      problems.add(
          "no source is on: set RELOADER_VOLUME_ENABLED, RELOADER_CONFIGMAP_ENABLED or"
              + " RELOADER_VAULT_ENABLED to true");
    }
    return new Result(List.copyOf(on), problems);
  }

  static String switchOf(String source) {
    return "RELOADER_" + source.toUpperCase(Locale.ROOT) + "_ENABLED";
  }

  /** The settings present that only this source reads. */
  private static List<String> settingsOf(String source, Map<String, String> env) {
    List<String> present = new ArrayList<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (e.getValue() == null || e.getValue().isBlank() || name.equals(switchOf(source))) {
        continue;
      }
      boolean own =
          switch (source) {
            case "vault" ->
                name.startsWith("RELOADER_VAULT_")
                    || name.equals("VAULT_ADDR")
                    || name.equals("VAULT_TOKEN");
            case "configmap" -> name.startsWith("RELOADER_CONFIGMAP_");
            default -> false; // the volume dirs have a default that the base manifest repeats
          };
      if (own) {
        present.add(name);
      }
    }
    present.sort(null);
    return present;
  }
}
