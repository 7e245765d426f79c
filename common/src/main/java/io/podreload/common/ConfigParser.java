package io.podreload.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Parses one config file (yml, yaml, json, properties) into flat properties: nested maps become
 * dotted keys ({@code app.greeting}), lists and scalars stay values. The app loads with it and the
 * reloader validates with it, so both agree on what is valid.
 */
public final class ConfigParser {

  private ConfigParser() {}

  /** Parses {@code file} by its extension; every problem names the file and, where known, line. */
  public static Map<String, Object> parse(ConfigFile file) throws ConfigParseException {
    String text = decodeUtf8(file);
    String name = file.name().toLowerCase(Locale.ROOT);
    Object tree;
    if (name.endsWith(".properties")) {
      return parseProperties(file.name(), text);
    } else if (name.endsWith(".json")) {
      tree = parseJson(file.name(), text);
    } else if (name.endsWith(".yml") || name.endsWith(".yaml")) {
      tree = parseYaml(file.name(), text);
    } else {
      throw new ConfigParseException(file.name(), "not a config file (" + supported() + ")");
    }
    if (tree == null) {
      return Map.of(); // an empty document is an empty config
    }
    if (!(tree instanceof Map<?, ?> map)) {
      throw new ConfigParseException(
          file.name(), "the top level must be a mapping of keys, not a " + kind(tree));
    }
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", map, flat);
    return flat;
  }

  private static String decodeUtf8(ConfigFile file) throws ConfigParseException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(file.content()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ConfigParseException(file.name(), "is not valid UTF-8 text; save it as UTF-8");
    }
  }

  private static Map<String, Object> parseProperties(String file, String text)
      throws ConfigParseException {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(text));
    } catch (IllegalArgumentException | IOException e) {
      throw new ConfigParseException(file, "invalid properties: " + e.getMessage());
    }
    Map<String, Object> flat = new LinkedHashMap<>();
    properties.stringPropertyNames().stream()
        .sorted()
        .forEach(key -> flat.put(key, properties.getProperty(key)));
    return flat;
  }

  private static Object parseJson(String file, String text) throws ConfigParseException {
    try {
      return JsonTree.parse(text.getBytes(StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      String where = location == null ? "" : " at line " + location.getLineNr();
      throw new ConfigParseException(file, "invalid JSON" + where + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigParseException(file, "invalid JSON: " + e.getMessage());
    }
  }

  /**
   * One strict loader per thread: building one costs more than parsing a small config (both the
   * app's reload and the reloader's validation are on a signal's path), and a loader may not be
   * shared between threads.
   */
  private static final ThreadLocal<Yaml> YAML =
      ThreadLocal.withInitial(
          () -> {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(50); // a "billion laughs" document is rejected
            options.setAllowRecursiveKeys(false);
            return new Yaml(new SafeConstructor(options));
          });

  private static Object parseYaml(String file, String text) throws ConfigParseException {
    try {
      return YAML.get().load(text);
    } catch (MarkedYAMLException e) {
      var mark = e.getProblemMark();
      String where = mark == null ? "" : " at line " + (mark.getLine() + 1);
      throw new ConfigParseException(file, "invalid YAML" + where + ": " + e.getProblem());
    } catch (YAMLException e) {
      throw new ConfigParseException(file, "invalid YAML: " + e.getMessage());
    }
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = prefix + entry.getKey();
      Object value = entry.getValue();
      if (value instanceof Map<?, ?> nested && !nested.isEmpty()) {
        flatten(key + ".", nested, out);
      } else {
        out.put(key, value == null ? "" : value);
      }
    }
  }

  private static String kind(Object value) {
    return value instanceof List<?> ? "list" : "scalar value";
  }

  private static String supported() {
    return String.join(" ", ConfigFile.EXTENSIONS);
  }
}
