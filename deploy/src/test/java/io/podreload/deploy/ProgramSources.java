package io.podreload.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The text of a program's main sources (its module, {@code common}, and for the app the {@code
 * podreload-micronaut} library), searched for a setting: the variable's own name ({@code
 * "APP_STATUS_FILE"}, {@code ${LOGGER_HTTP_PORT:8082}}), one of its Micronaut property forms
 * ({@code reloader.volume-dirs}, also as nested YAML keys), or a component of a
 * {@code @ConfigurationProperties} record it binds to ({@code volumeDirs} under {@code
 * "reloader"}).
 */
final class ProgramSources {
  private static final Pattern CONFIGURATION_PROPERTIES =
      Pattern.compile("@ConfigurationProperties\\(\\s*(?:value\\s*=\\s*)?\"([a-z0-9.\\-]+)\"");

  private final Map<String, String> files;
  private final String text;

  ProgramSources(Map<String, String> files) {
    this.files = Map.copyOf(files);
    StringBuilder all = new StringBuilder();
    files.forEach((name, content) -> all.append(content).append('\n'));
    files.forEach(
        (name, content) -> {
          if (name.endsWith(".yml") || name.endsWith(".yaml")) {
            yamlKeys(content).forEach(k -> all.append(k).append('\n'));
          }
        });
    this.text = all.toString();
  }

  static ProgramSources of(String program) {
    Map<String, String> files = new LinkedHashMap<>();
    for (String module : modulesOf(program)) {
      Path main = Repo.path(module + "/src/main");
      if (!Files.isDirectory(main)) {
        continue;
      }
      try (Stream<Path> paths = Files.walk(main)) {
        for (Path p : paths.filter(Files::isRegularFile).toList()) {
          files.put(Repo.ROOT.relativize(p).toString(), Files.readString(p));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new ProgramSources(files);
  }

  /**
   * The modules whose main sources make up a program: the app reads its settings in the library.
   */
  static List<String> modulesOf(String program) {
    return program.equals("app")
        ? List.of("app", "podreload-micronaut", "common")
        : List.of(program, "common");
  }

  /** Whether these sources read the environment variable {@code name}. */
  boolean reads(String name) {
    if (containsWord(text, name)) {
      return true;
    }
    for (String property : propertyForms(name)) {
      if (concatenated(property)) {
        return true;
      }
      if (Pattern.compile("(?<![\\w.-])" + Pattern.quote(property) + "(?![\\w-])")
          .matcher(text)
          .find()) {
        return true;
      }
    }
    for (String content : files.values()) {
      Matcher prefix = CONFIGURATION_PROPERTIES.matcher(content);
      while (prefix.find()) {
        String envPrefix = envForm(prefix.group(1)) + "_";
        if (name.startsWith(envPrefix)
            && containsWord(content, camelCase(name.substring(envPrefix.length())))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * reloader.volume-dirs, reloader.volume.dirs, reloader-volume.dirs, ... for RELOADER_VOLUME_DIRS
   */
  static List<String> propertyForms(String name) {
    String[] words = name.toLowerCase(Locale.ROOT).split("_");
    List<String> forms = new ArrayList<>();
    int joints = words.length - 1;
    for (int mask = 0; mask < (1 << joints); mask++) {
      StringBuilder form = new StringBuilder(words[0]);
      for (int i = 1; i < words.length; i++) {
        form.append((mask & (1 << (i - 1))) != 0 ? '-' : '.').append(words[i]);
      }
      forms.add(form.toString());
    }
    return forms;
  }

  /** A property name built from two string literals: "logger.loki" + ".batch-lines". */
  private boolean concatenated(String property) {
    for (int i = property.indexOf('.'); i > 0; i = property.indexOf('.', i + 1)) {
      if (text.contains('"' + property.substring(0, i) + '"')
          && text.contains('"' + property.substring(i) + '"')) {
        return true;
      }
    }
    return false;
  }

  static String envForm(String property) {
    return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  static String camelCase(String envSuffix) {
    StringBuilder camel = new StringBuilder();
    for (String word : envSuffix.toLowerCase(Locale.ROOT).split("_")) {
      if (word.isEmpty()) {
        continue;
      }
      camel.append(
          camel.length() == 0 ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
    }
    return camel.toString();
  }

  private static boolean containsWord(String text, String word) {
    return !word.isEmpty()
        && Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(word) + "(?![A-Za-z0-9_])")
            .matcher(text)
            .find();
  }

  /** Every key path of a YAML document, dotted: micronaut.server.port. */
  private static List<String> yamlKeys(String yaml) {
    List<String> keys = new ArrayList<>();
    try {
      for (JsonNode doc :
          Manifests.YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml).readAll()) {
        collectKeys(doc, "", keys);
      }
    } catch (IOException e) {
      // Not YAML that Jackson reads (a template, say): its text is searched all the same.
    }
    return keys;
  }

  private static void collectKeys(JsonNode node, String prefix, List<String> keys) {
    node.fields()
        .forEachRemaining(
            field -> {
              String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
              keys.add(key);
              collectKeys(field.getValue(), key, keys);
            });
  }
}
