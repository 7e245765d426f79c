package io.podreload.common;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingEndEvent;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceEndEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * One YAML document to flat properties in one pass over SnakeYAML's parser events: a mapping's
 * scalars go straight to their dotted keys, with no node tree, no nested maps and no second walk to
 * flatten them. Only lists (and anchored collections, which aliases reuse) are built as values.
 *
 * <p>What it accepts and how it types values is what SnakeYAML's safe loader does, which a test
 * holds it to: scalars are typed by SnakeYAML's own resolver and constructors, duplicate keys are
 * errors, merge keys ({@code <<: *base}) merge with the mapping's own keys winning. An anchor is
 * built once and shared by its aliases; an alias inside its own anchor is a cycle and rejected;
 * nesting deeper than {@link ConfigParser#MAX_DEPTH} is rejected wherever it comes from, an alias
 * included. Not thread-safe: one instance per thread.
 */
final class YamlFlattener {

  /** Aliases of mappings or lists per document, as SnakeYAML's loader caps them: no alias bomb. */
  static final int MAX_COLLECTION_ALIASES = 50;

  private final LoaderOptions options = new LoaderOptions();
  private final Resolver resolver = new TextFirstResolver();
  private final Scalars scalars = new Scalars(options);

  // per document
  private String file;
  private Parser parser;
  private Map<String, Object> out;
  private final Map<String, Anchored> anchors = new HashMap<>();
  private final Set<String> open = new HashSet<>();
  private int collectionAliases;

  /** The height (levels of mappings and lists) of the value {@link #build} returned last. */
  private int height;

  YamlFlattener() {
    options.setProcessComments(false);
  }

  /**
   * The document's properties; none for an empty document (no content, or a null).
   *
   * @throws ConfigParseException naming the file, and the line where known
   */
  Map<String, Object> flatten(String file, String text) throws ConfigParseException {
    this.file = file;
    this.parser = new ParserImpl(new StreamReader(text), options);
    this.out = new LinkedHashMap<>();
    collectionAliases = 0;
    try {
      next(); // stream start
      if (parser.checkEvent(Event.ID.StreamEnd)) {
        return out;
      }
      next(); // document start
      Event root = next();
      if (root instanceof MappingStartEvent start) {
        collectionTag(start, Tag.MAP, "mapping");
        remember(start);
        flattenMapping("", 1, start);
      } else {
        Object value = build(root, 1, "");
        if (value != null) {
          throw new ConfigParseException(
              file,
              "the top level must be a mapping of keys, not a "
                  + (value instanceof List<?> ? "list" : "scalar value"));
        }
      }
      next(); // document end
      if (!parser.checkEvent(Event.ID.StreamEnd)) {
        throw problem(
            parser.peekEvent().getStartMark(),
            "expected a single document in the stream, but found another document");
      }
      return out;
    } finally {
      parser = null; // the text, for the collector
      out = null;
      anchors.clear(); // a document's anchors are its own, and so is a cycle left open
      open.clear();
    }
  }

  /**
   * A mapping's entries straight into {@link #out}, each key prefixed with {@code prefix} (empty,
   * or the mapping's own key and a dot).
   */
  private void flattenMapping(String prefix, int depth, MappingStartEvent start)
      throws ConfigParseException {
    String path = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    checkDepth(depth, path, start.getStartMark());
    Set<Object> keys = new HashSet<>();
    List<Map<?, ?>> merges = null;
    Event event;
    while (!((event = next()) instanceof MappingEndEvent)) {
      Object key = key(event, depth, path);
      if (key == MERGE) {
        merges = merge(merges, next(), depth, path);
        continue;
      }
      if (!keys.add(key)) {
        throw duplicate(event, key);
      }
      String name = prefix + key;
      Event value = next();
      if (value instanceof MappingStartEvent nested
          && nested.getAnchor() == null
          && isMap(nested)) {
        int before = out.size();
        flattenMapping(name + ".", depth + 1, nested);
        if (out.size() == before) {
          out.put(name, new LinkedHashMap<>()); // {}, or its merges brought nothing
        }
      } else {
        put(name, build(value, depth + 1, name));
      }
    }
    if (merges != null) {
      for (Map<?, ?> merged : merges) {
        for (Map.Entry<?, ?> entry : merged.entrySet()) {
          if (keys.add(entry.getKey())) {
            put(prefix + entry.getKey(), entry.getValue());
          }
        }
      }
    }
  }

  /** A value at a flat key: a non-empty map spreads over dotted keys, a null is "". */
  private void put(String name, Object value) {
    if (value instanceof Map<?, ?> map && !map.isEmpty()) {
      flattenMap(name + ".", map);
    } else {
      out.put(name, value == null ? "" : value);
    }
  }

  private void flattenMap(String prefix, Map<?, ?> map) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      put(prefix + entry.getKey(), entry.getValue());
    }
  }

  /**
   * The node that {@code event} starts, as a value; its height in {@link #height}. {@code path}
   * names it in errors (its flat key, with list indexes).
   */
  private Object build(Event event, int depth, String path) throws ConfigParseException {
    if (event instanceof ScalarEvent scalar) {
      Object value = scalar(scalar);
      height = 0;
      anchor(scalar, value, 0);
      return value;
    }
    if (event instanceof AliasEvent alias) {
      return alias(alias, depth, path);
    }
    CollectionStartEvent start = (CollectionStartEvent) event;
    checkDepth(depth, path, start.getStartMark());
    remember(start);
    int deepest = 0;
    Object value;
    if (start instanceof SequenceStartEvent) {
      collectionTag(start, Tag.SEQ, "list");
      List<Object> list = new ArrayList<>();
      Event item;
      while (!((item = next()) instanceof SequenceEndEvent)) {
        String itemPath = item instanceof ScalarEvent ? path : path + "[" + list.size() + "]";
        list.add(build(item, depth + 1, itemPath));
        deepest = Math.max(deepest, height);
      }
      value = list;
    } else {
      collectionTag(start, Tag.MAP, "mapping");
      Map<Object, Object> map = new LinkedHashMap<>();
      List<Map<?, ?>> merges = null;
      Event keyEvent;
      while (!((keyEvent = next()) instanceof MappingEndEvent)) {
        Object key = key(keyEvent, depth, path);
        if (key == MERGE) {
          merges = merge(merges, next(), depth, path);
          continue;
        }
        if (map.containsKey(key)) {
          throw duplicate(keyEvent, key);
        }
        Event valueEvent = next();
        String valuePath = valueEvent instanceof ScalarEvent ? path : child(path, key);
        map.put(key, build(valueEvent, depth + 1, valuePath));
        deepest = Math.max(deepest, height);
      }
      if (merges != null) {
        for (Map<?, ?> merged : merges) {
          for (Map.Entry<?, ?> entry : merged.entrySet()) {
            map.putIfAbsent(entry.getKey(), entry.getValue());
          }
        }
      }
      value = map;
    }
    height = deepest + 1;
    anchor(start, value, height);
    return value;
  }

  /** Marks a key as a merge key ({@code <<}) rather than a key of its own. */
  private static final Object MERGE = new Object();

  /**
   * A mapping's key: a scalar typed as SnakeYAML types it (then used as text), or, rarely, a
   * collection; {@link #MERGE} for a merge key.
   */
  private Object key(Event event, int depth, String path) throws ConfigParseException {
    if (event instanceof ScalarEvent scalar) {
      Tag tag = tag(scalar);
      if (tag.equals(Tag.MERGE)) {
        return MERGE;
      }
      Object key = tag.equals(Tag.STR) ? scalar.getValue() : construct(scalar, tag);
      anchor(scalar, key, 0);
      return key;
    }
    return build(event, depth + 1, child(path, "(a key)"));
  }

  private ConfigParseException duplicate(Event keyEvent, Object key) {
    return problem(keyEvent.getStartMark(), "found duplicate key " + key);
  }

  private static String child(String path, Object key) {
    return path.isEmpty() ? String.valueOf(key) : path + "." + key;
  }

  /** Adds the mapping(s) that a merge key's value names to {@code merges}. */
  private List<Map<?, ?>> merge(List<Map<?, ?>> merges, Event event, int depth, String path)
      throws ConfigParseException {
    List<Map<?, ?>> all = merges == null ? new ArrayList<>() : merges;
    // the merged mapping's entries become this mapping's: they sit one level below it
    Object value = build(event, depth, path);
    if (value instanceof Map<?, ?> map) {
      all.add(map);
    } else if (value instanceof List<?> list) {
      for (Object item : list) {
        if (!(item instanceof Map<?, ?> map)) {
          throw problem(
              event.getStartMark(), "expected a mapping for merging, but found " + kind(item));
        }
        all.add(map);
      }
    } else {
      throw problem(
          event.getStartMark(),
          "expected a mapping or list of mappings for merging, but found " + kind(value));
    }
    return all;
  }

  /** An alias: the value its anchor built, once; a cycle when that anchor is still open. */
  private Object alias(AliasEvent alias, int depth, String path) throws ConfigParseException {
    String name = alias.getAnchor();
    if (open.contains(name)) {
      throw new ConfigParseException(
          file,
          where(path)
              + line(alias.getStartMark())
              + " contains itself (a YAML alias used inside its own anchor); remove the cycle");
    }
    Anchored anchored = anchors.get(name);
    if (anchored == null) {
      throw problem(alias.getStartMark(), "found undefined alias " + name);
    }
    if (anchored.height() > 0) {
      if (++collectionAliases > MAX_COLLECTION_ALIASES) {
        throw problem(
            alias.getStartMark(),
            "more than "
                + MAX_COLLECTION_ALIASES
                + " aliases of mappings or lists; this looks like an alias bomb");
      }
      checkDepth(depth + anchored.height() - 1, path, alias.getStartMark());
    }
    height = anchored.height();
    return anchored.value();
  }

  private void remember(CollectionStartEvent start) {
    if (start.getAnchor() != null) {
      open.add(start.getAnchor());
    }
  }

  private void anchor(NodeEvent event, Object value, int height) {
    String name = event.getAnchor();
    if (name != null) {
      open.remove(name);
      anchors.put(name, new Anchored(value, height));
    }
  }

  private void checkDepth(int depth, String path, Mark mark) throws ConfigParseException {
    if (depth > ConfigParser.MAX_DEPTH) {
      throw ConfigParser.tooDeep(file, " at " + where(path) + line(mark));
    }
  }

  /** What a value is, never what it says (the file may be a secret). */
  static String kind(Object value) {
    return value instanceof List<?> ? "a list" : value == null ? "null" : "a scalar value";
  }

  private static String where(String path) {
    return path.isEmpty() ? "the top level" : "key " + path;
  }

  /** A mapping with no tag, or the standard one. */
  private static boolean isMap(MappingStartEvent start) {
    String tag = start.getTag();
    return tag == null || tag.equals("!") || tag.equals(Tag.MAP.getValue());
  }

  private void collectionTag(CollectionStartEvent start, Tag standard, String kind)
      throws ConfigParseException {
    String tag = start.getTag();
    if (tag != null && !tag.equals("!") && !tag.equals(standard.getValue())) {
      throw problem(
          start.getStartMark(),
          "the tag " + tag + " on a " + kind + " is not supported in a config file; remove it");
    }
  }

  private Object scalar(ScalarEvent scalar) throws ConfigParseException {
    Tag tag = tag(scalar);
    return tag.equals(Tag.STR) ? scalar.getValue() : construct(scalar, tag);
  }

  /** The scalar's tag as SnakeYAML's composer gives it: its own, or resolved from its text. */
  private Tag tag(ScalarEvent scalar) {
    String tag = scalar.getTag();
    if (tag == null || tag.equals("!")) {
      return resolver.resolve(
          NodeId.scalar, scalar.getValue(), scalar.getImplicit().canOmitTagInPlainScalar());
    }
    return new Tag(tag);
  }

  /** A scalar that is not plain text (a number, a boolean, null, a date...): SnakeYAML's value. */
  private Object construct(ScalarEvent scalar, Tag tag) {
    return scalars.construct(
        new ScalarNode(
            tag,
            scalar.getValue(),
            scalar.getStartMark(),
            scalar.getEndMark(),
            scalar.getScalarStyle()));
  }

  private Event next() {
    return parser.getEvent();
  }

  private ConfigParseException problem(Mark mark, String problem) {
    return new ConfigParseException(file, "invalid YAML" + line(mark) + ": " + problem);
  }

  private static String line(Mark mark) {
    return mark == null ? "" : " at line " + (mark.getLine() + 1);
  }

  /** What an anchor's node built, and its height (0 for a scalar). */
  private record Anchored(Object value, int height) {}

  /**
   * SnakeYAML's resolver, which tries its null patterns on every short scalar (every key): a scalar
   * whose first character starts none of its patterns is text without trying any. The null patterns
   * ({@code ~ null Null NULL}, the empty scalar, and a blank, which no plain scalar is) start with
   * a character that starts another pattern too, and the empty one goes the long way. Called for
   * scalars only; one that is not plain is text either way.
   */
  private static final class TextFirstResolver extends Resolver {
    @Override
    public Tag resolve(NodeId kind, String value, boolean implicit) {
      if (!value.isEmpty() && !yamlImplicitResolvers.containsKey(value.charAt(0))) {
        return Tag.STR;
      }
      return super.resolve(kind, value, implicit);
    }
  }

  /** SnakeYAML's safe constructors, for one scalar at a time. */
  private static final class Scalars extends SafeConstructor {
    Scalars(LoaderOptions options) {
      super(options);
    }

    Object construct(ScalarNode node) {
      return getConstructor(node).construct(node);
    }
  }
}
