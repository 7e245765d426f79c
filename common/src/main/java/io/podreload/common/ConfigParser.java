package io.podreload.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Parses one config file (yml, yaml, json, properties) into flat properties: nested maps become
 * dotted keys ({@code app.greeting}), lists and scalars stay values. The app loads with it and the
 * reloader validates with it, so both agree on what is valid. YAML goes straight from the parser's
 * events to the flat keys ({@link YamlFlattener}): a reload of 10,000 keys costs about half the CPU
 * and allocation of building SnakeYAML's node tree, then maps, then flattening them.
 */
public final class ConfigParser {

  /**
   * The deepest nesting of mappings and lists accepted (the top-level mapping is level 1). Real
   * configs stay below ten; the cap keeps a hostile file from costing a stack per level.
   */
  public static final int MAX_DEPTH = 64;

  /**
   * The JSON reader's own cap, a little above {@link #MAX_DEPTH}: it only guards its recursion
   * against a document thousands of levels deep, and {@link #checkShape} reports the exact limit.
   * (YAML is read from SnakeYAML's parser events, which do not recurse; {@link YamlFlattener} stops
   * at the limit itself.)
   */
  static final int PARSER_DEPTH_BACKSTOP = MAX_DEPTH + 8;

  private static final char REPLACEMENT = '\uFFFD';

  private ConfigParser() {}

  /** Parses {@code file} by its extension; every problem names the file and, where known, line. */
  public static Map<String, Object> parse(ConfigFile file) throws ConfigParseException {
    String text = decodeUtf8(file);
    String name = file.name().toLowerCase(Locale.ROOT);
    if (name.endsWith(".properties")) {
      return parseProperties(file.name(), text);
    } else if (name.endsWith(".json")) {
      return flattenJson(file.name(), parseJson(file.name(), text));
    } else if (name.endsWith(".yml") || name.endsWith(".yaml")) {
      return parseYaml(file.name(), text); // an empty document is an empty config
    } else {
      throw new ConfigParseException(file.name(), "not a config file (" + supported() + ")");
    }
  }

  private static Map<String, Object> flattenJson(String file, Object tree)
      throws ConfigParseException {
    if (tree == null) {
      return Map.of(); // a null document is an empty config
    }
    if (!(tree instanceof Map<?, ?> map)) {
      throw new ConfigParseException(
          file, "the top level must be a mapping of keys, not a " + kind(tree));
    }
    checkShape(file, "", map, 1);
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", map, flat);
    return flat;
  }

  /**
   * Rejects nesting deeper than {@link #MAX_DEPTH} (in JSON, which holds no aliases and so no
   * cycles), before it would cost a stack frame per level in flattening, hashing or printing.
   */
  private static void checkShape(String file, String key, Object value, int depth)
      throws ConfigParseException {
    if (!(value instanceof Map<?, ?>) && !(value instanceof List<?>)) {
      return;
    }
    if (depth > MAX_DEPTH) {
      throw tooDeep(file, " at " + (key.isEmpty() ? "the top level" : "key " + key));
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String child = key.isEmpty() ? String.valueOf(entry.getKey()) : key + "." + entry.getKey();
        checkShape(file, child, entry.getValue(), depth + 1);
      }
    } else {
      List<?> list = (List<?>) value;
      for (int i = 0; i < list.size(); i++) {
        checkShape(file, key + "[" + i + "]", list.get(i), depth + 1);
      }
    }
  }

  static ConfigParseException tooDeep(String file, String where) {
    return new ConfigParseException(
        file,
        "mappings and lists nest more than "
            + MAX_DEPTH
            + " levels deep"
            + where
            + "; flatten the structure");
  }

  private static String decodeUtf8(ConfigFile file) throws ConfigParseException {
    // The JDK's own decoding first (ASCII is copied as it is, no char buffer in between): it
    // replaces a malformed sequence with U+FFFD, so text without one was valid UTF-8. Text with one
    // is decoded again strictly, which rejects it unless the U+FFFD was in the file itself.
    String text = new String(file.content(), StandardCharsets.UTF_8);
    if (text.indexOf(REPLACEMENT) < 0) {
      return text;
    }
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
    } catch (StreamConstraintsException e) {
      throw tooDeep(file, "");
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      String where = location == null ? "" : " at line " + location.getLineNr();
      throw new ConfigParseException(file, "invalid JSON" + where + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigParseException(file, "invalid JSON: " + e.getMessage());
    }
  }

  /**
   * One reader per thread: both the app's reload and the reloader's validation are on a signal's
   * path, and SnakeYAML's resolver and constructors are worth building once.
   */
  private static final ThreadLocal<YamlFlattener> YAML =
      ThreadLocal.withInitial(YamlFlattener::new);

  private static Map<String, Object> parseYaml(String file, String text)
      throws ConfigParseException {
    try {
      return YAML.get().flatten(file, text);
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
