package io.podreload.common;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

class ConfigParserTest {

  private static Map<String, Object> parse(String name, String text) throws ConfigParseException {
    return ConfigParser.parse(new ConfigFile(name, text.getBytes(UTF_8)));
  }

  private static String rejection(String name, String text) {
    return assertThrows(ConfigParseException.class, () -> parse(name, text)).getMessage();
  }

  @Test
  void yamlIsFlattenedToDottedKeysKeepingListsAndTypes() throws Exception {
    Map<String, Object> props =
        parse("app.yml", "app:\n  greeting: hi\n  limits:\n    rps: 5\n  tags: [a, b]\n");
    assertEquals(
        Map.of("app.greeting", "hi", "app.limits.rps", 5, "app.tags", List.of("a", "b")), props);
  }

  @Test
  void jsonAndPropertiesGiveTheSameFlatKeys() throws Exception {
    assertEquals(
        Map.of("app.greeting", "hi"), parse("a.json", "{\"app\": {\"greeting\": \"hi\"}}"));
    assertEquals(Map.of("app.greeting", "hi"), parse("a.properties", "app.greeting = hi\n"));
  }

  @Test
  void anEmptyFileIsAnEmptyConfig() throws Exception {
    assertTrue(parse("a.yml", "").isEmpty());
    assertTrue(parse("a.yml", "# only a comment\n").isEmpty());
  }

  @Test
  void malformedYamlNamesTheFileAndLine() {
    String message = rejection("application.yml", "app:\n  greeting: hi\n bad: [\n");
    assertTrue(message.startsWith("application.yml: invalid YAML at line"), message);
  }

  @Test
  void duplicateKeysAreRejectedInYamlAndJson() {
    assertTrue(rejection("a.yml", "a: 1\na: 2\n").contains("duplicate key a"));
    assertTrue(rejection("a.json", "{\"a\": 1, \"a\": 2}").contains("Duplicate field 'a'"));
  }

  @Test
  void malformedJsonNamesTheLine() {
    assertTrue(rejection("a.json", "{\n\"a\": 1,\n}").contains("invalid JSON at line 3"));
  }

  @Test
  void nonUtf8BytesAreRejectedWithTheFix() {
    ConfigFile latin1 = new ConfigFile("a.yml", new byte[] {'a', ':', ' ', (byte) 0xE9});
    String message =
        assertThrows(ConfigParseException.class, () -> ConfigParser.parse(latin1)).getMessage();
    assertEquals("a.yml: is not valid UTF-8 text; save it as UTF-8", message);
  }

  @Test
  void validUtf8IsReadWhateverItHoldsAReplacementCharacterIncluded() throws Exception {
    String text = "a: \"caf\u00e9 \u4e16 \ud83d\ude00 \ufffd\"\n";
    ConfigFile file = new ConfigFile("a.yml", text.getBytes(UTF_8));
    assertEquals("caf\u00e9 \u4e16 \ud83d\ude00 \ufffd", ConfigParser.parse(file).get("a"));
  }

  @Test
  void aMalformedSequenceAfterAReplacementCharacterIsStillRejected() {
    byte[] valid = "a: \ufffd\nb: ".getBytes(UTF_8);
    byte[] bytes = java.util.Arrays.copyOf(valid, valid.length + 1);
    bytes[valid.length] = (byte) 0xC3; // a sequence cut short
    ConfigFile file = new ConfigFile("a.yml", bytes);
    assertThrows(ConfigParseException.class, () -> ConfigParser.parse(file));
  }

  @Test
  void aTopLevelThatIsNotAMappingIsRejected() {
    assertTrue(rejection("a.yml", "- a\n- b\n").contains("top level must be a mapping"));
    assertTrue(rejection("a.json", "42").contains("top level must be a mapping"));
  }

  @Test
  void aliasBombsAreRejected() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x]\n");
    for (int i = 1; i < 60; i++) {
      yaml.append("a")
          .append(i)
          .append(": &a")
          .append(i)
          .append(" [*a")
          .append(i - 1)
          .append(", *a")
          .append(i - 1)
          .append("]\n");
    }
    assertTrue(rejection("a.yml", yaml.toString()).contains("invalid YAML"));
  }

  @Test
  void aYamlAnchorThatContainsItselfIsRejectedNotOverflowed() {
    assertTrue(
        rejection("a.yml", "a: &x {b: *x}\n").contains("contains itself"), "a map holding itself");
    assertTrue(rejection("a.yml", "x: &x [*x]\n").contains("contains itself"), "a list");
    assertTrue(
        rejection("a.yml", "a: &x\n  b:\n    - c: *x\n").contains("contains itself"),
        "a cycle through a list");
  }

  @Test
  void theSameAnchorUsedTwiceWithoutACycleIsFine() throws Exception {
    Map<String, Object> props =
        parse("a.yml", "base: &b {host: h, port: 1}\none: *b\ntwo: {inner: *b}\n");
    assertEquals("h", props.get("one.host"));
    assertEquals(1, props.get("two.inner.port"));
  }

  @Test
  void nestingDeeperThanTheLimitIsRejectedInEveryFormat() {
    int depth = ConfigParser.MAX_DEPTH + 1;
    String yamlMaps = nested(depth, "k", "  ", "v\n");
    String yamlFlow = "a: " + "[".repeat(depth) + "]".repeat(depth) + "\n";
    String json = "{\"a\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
    String deepJson = "{\"a\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    String deepYaml = "a: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n";
    for (String[] c :
        new String[][] {
          {"a.yml", yamlMaps},
          {"a.yml", yamlFlow},
          {"a.json", json},
          {"a.json", deepJson},
          {"a.yml", deepYaml}
        }) {
      String message = rejection(c[0], c[1]);
      assertTrue(message.contains("nest"), message);
    }
  }

  @Test
  void nestingUpToTheLimitIsAccepted() throws Exception {
    // the top-level mapping is level 1; the innermost key holds a scalar
    Map<String, Object> props = parse("a.yml", nested(ConfigParser.MAX_DEPTH, "k", "  ", "v\n"));
    assertEquals(1, props.size());
    assertTrue(props.containsValue("v"));
  }

  /** {@code levels} mappings, each indented under the one before, the last holding {@code leaf}. */
  private static String nested(int levels, String key, String indent, String leaf) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < levels - 1; i++) {
      text.append(indent.repeat(i)).append(key).append(":\n");
    }
    return text.append(indent.repeat(levels - 1)).append(key).append(": ").append(leaf).toString();
  }

  @Test
  void whatSnakeYamlsLoaderRejectsIsRejectedWithTheLine() {
    assertEquals(
        "a.yml: invalid YAML at line 2: found undefined alias nowhere",
        rejection("a.yml", "a: 1\nb: *nowhere\n"));
    assertTrue(
        rejection("a.yml", "a: 1\n---\nb: 2\n")
            .startsWith("a.yml: invalid YAML at line 2: expected a single document"));
    assertEquals(
        "a.yml: invalid YAML at line 3: found duplicate key b",
        rejection("a.yml", "l:\n  - {b: 1,\n     b: 2}\n"));
    assertTrue(rejection("a.yml", "a: !custom x\n").contains("!custom"));
    assertTrue(rejection("a.yml", "a: !!timestamp yesterday\n").startsWith("a.yml: invalid YAML"));
  }

  @Test
  void tagsOnMappingsOrListsOtherThanTheStandardOnesAreRejectedWithTheFix() {
    assertEquals(
        "a.yml: invalid YAML at line 1: the tag tag:yaml.org,2002:set on a mapping is not"
            + " supported in a config file; remove it",
        rejection("a.yml", "s: !!set {a, b}\n"));
    assertTrue(rejection("a.yml", "o: !!omap [a: 1]\n").contains("on a list is not supported"));
    assertTrue(rejection("a.yml", "!custom {a: 1}\n").contains("on a mapping is not supported"));
  }

  @Test
  void aMergeOfSomethingElseThanMappingsIsRejectedWithoutQuotingIt() {
    String scalar = rejection("a.yml", "a:\n  <<: s3cret\n");
    assertEquals(
        "a.yml: invalid YAML at line 2: expected a mapping or list of mappings for merging, but"
            + " found a scalar value",
        scalar);
    String list = rejection("a.yml", "a:\n  <<: [{x: 1}, [s3cret]]\n");
    assertTrue(list.endsWith("expected a mapping for merging, but found a list"), list);
  }

  @Test
  void anAliasCountsItsAnchorsNestingWhereItIsUsed() throws Exception {
    int half = ConfigParser.MAX_DEPTH / 2;
    String anchor = "base: &deep " + "[".repeat(half) + "]".repeat(half) + "\n";
    // level 2 holds the list, so it reaches level half + 1; used under half - 1 more levels: fine
    String fits = anchor + nested(half - 1, "k", "  ", "*deep\n");
    assertEquals(2, parse("a.yml", fits).size());
    String over = anchor + nested(half + 2, "k", "  ", "*deep\n");
    String message = rejection("a.yml", over);
    assertTrue(message.contains("nest more than " + ConfigParser.MAX_DEPTH), message);
    assertTrue(message.contains("at line " + (half + 3)), message);
  }

  @Test
  void aCycleIsNamedByItsKeyAndLine() {
    assertEquals(
        "a.yml: key a.l[1].b at line 4 contains itself (a YAML alias used inside its own anchor);"
            + " remove the cycle",
        rejection("a.yml", "a: &x\n  l:\n    - 1\n    - b: *x\n"));
  }

  @Test
  void anAnchorBelongsToItsDocumentOnly() throws Exception {
    assertEquals(Map.of("a.k", "v"), parse("a.yml", "a: &x {k: v}\n"));
    assertEquals(
        "a.yml: invalid YAML at line 1: found undefined alias x", rejection("a.yml", "b: *x\n"));
    assertTrue(rejection("a.yml", "a: &x [*x]\n").contains("contains itself"));
    assertEquals(
        "a.yml: invalid YAML at line 1: found undefined alias x", rejection("a.yml", "b: *x\n"));
  }

  @Test
  void theTopLevelAnchoredAndUsedInsideItselfIsACycle() {
    assertEquals(
        "a.yml: key a at line 2 contains itself (a YAML alias used inside its own anchor);"
            + " remove the cycle",
        rejection("a.yml", "&x\na: *x\n"));
  }

  @Test
  void aTopLevelThatIsNotAMappingIsNamedForWhatItIs() throws Exception {
    String list = "the top level must be a mapping of keys, not a list";
    String scalar = "the top level must be a mapping of keys, not a scalar value";
    assertEquals("a.yml: " + list, rejection("a.yml", "- a\n"));
    assertEquals("a.yml: " + scalar, rejection("a.yml", "just text\n"));
    assertEquals("a.json: " + list, rejection("a.json", "[1]"));
    assertEquals("a.json: " + scalar, rejection("a.json", "\"text\""));
    assertTrue(parse("a.json", "null").isEmpty());
  }

  @Test
  void aSyntaxErrorNamesItsLineAndASecretFilesMessageKeepsOnlyTheLine() {
    ConfigParseException e =
        assertThrows(
            ConfigParseException.class,
            () -> parse("vault.yml", "a: 1\nb: 2\npassword: \"s3cret\" tail\n"));
    assertTrue(e.getMessage().startsWith("vault.yml: invalid YAML at line 3: "), e.getMessage());
    assertEquals("vault.yml", e.file());
    assertEquals("vault.yml: cannot be parsed at line 3 (details withheld: secret)", e.placeOnly());
    ConfigParseException json =
        assertThrows(ConfigParseException.class, () -> parse("v.json", "{\"k\": s3cret}"));
    assertEquals("v.json: cannot be parsed at line 1 (details withheld: secret)", json.placeOnly());
  }

  @Test
  void yamlAndYmlAreBothYaml() throws Exception {
    assertEquals(Map.of("a.b", 1), parse("a.yaml", "a: {b: 1}\n"));
    assertEquals(Map.of("a.b", 1), parse("A.YML", "a: {b: 1}\n"));
  }

  @Test
  void fiftyAliasesOfMappingsOrListsAreAcceptedAndTheFirstOneMoreIsNot() throws Exception {
    StringBuilder fifty = new StringBuilder("base: &b {k: v}\nscalar: &s text\n");
    for (int i = 0; i < YamlFlattener.MAX_COLLECTION_ALIASES; i++) {
      fifty.append("c").append(i).append(": *b\n");
    }
    for (int i = 0; i < 100; i++) {
      fifty.append("s").append(i).append(": *s\n"); // aliases of scalars cost nothing: no cap
    }
    assertEquals(152, parse("a.yml", fifty.toString()).size());
    String more = rejection("a.yml", fifty + "one-more: *b\n");
    assertTrue(more.contains("more than 50 aliases of mappings or lists"), more);
  }

  /** {@code levels} lists, each inside the one before, in flow style. */
  private static String lists(int levels) {
    return "[".repeat(levels) + "]".repeat(levels);
  }

  @Test
  void theDepthLimitHoldsInEveryPlaceAValueCanSit() throws Exception {
    int max = ConfigParser.MAX_DEPTH;
    String[][] places = { // {document at the limit with %s of n levels, n}
      {"a: %s\n", "1"},
      {"a: [%s]\n", "2"},
      {"a: [{b: %s}]\n", "3"},
      {"a: {b: [{c: %s}]}\n", "4"},
      {"? %s\n: v\n", "1"},
      {"a:\n  <<: {b: %s}\n", "2"},
      {"x: &x %s\na: {b: *x}\n", "2"},
      {"{\"a\": [{\"b\": %s}]}", "3"},
    };
    for (String[] place : places) {
      int above = Integer.parseInt(place[1]);
      String name = place[0].startsWith("{") ? "a.json" : "a.yml";
      String fits = place[0].replace("%s", lists(max - above));
      assertTrue(parse(name, fits).size() >= 1, fits);
      String over = place[0].replace("%s", lists(max - above + 1));
      assertTrue(rejection(name, over).contains("nest more than " + max), over);
    }
    String json = "{\"a\": [{\"b\": " + lists(max - 2) + "}]}";
    assertEquals(
        "a.json: mappings and lists nest more than 64 levels deep at key a[0].b"
            + "[0]".repeat(max - 3)
            + "; flatten the structure",
        rejection("a.json", json));
  }

  /**
   * The documents a config may hold, each read both ways: by the parser (events straight to flat
   * keys) and by SnakeYAML's safe loader, whose tree is then flattened. Both must agree on every
   * key, every value's type and the keys' order (but for merged keys, which follow the mapping's
   * own keys instead of coming first).
   */
  private static final String[] SAME_AS_SNAKEYAML = {
    "app:\n  greeting: hi\n  limits:\n    rps: 5\n    burst: 1_000\n",
    "n: [0x1F, 012, -7, +3, 3000000000, 99999999999999999999, 1:30]\n",
    "f: [1.5, 1e3, -.inf, .NaN, 6.8523015e+5, 190:20:30.15]\n",
    "b: [yes, No, on, OFF, true, False, y, n]\n",
    "z: [~, null, Null, '']\nempty:\nalso: ''\n",
    "d: 2024-01-31\nt: 2001-12-14t21:59:43.10-05:00\nspace: 2001-12-14 21:59:43.10 -5\n",
    "q: ['5', \"5\", !!str 5, !!int \"7\", !!float 1, !!bool 'yes', ! 12]\n",
    "lit: |\n  line one\n  line two\nfold: >-\n  one\n  two\nplain: a\n  b\n",
    "1: int key\ntrue: bool key\n~: null key\n1.5: float key\n\"a.b\": dotted key\n",
    "? [a, b]\n: list key\n? {x: 1}\n: map key\n",
    "l: [a, b]\nblock:\n  - x\n  - y: 1\n    z: [1, [2, {w: 3}]]\nnone: []\nnothing: {}\n",
    "flow: {a: {b: 1, c: [2]}, d: {}}\n",
    "base: &b {host: h, port: 1}\none: *b\ntwo: {inner: *b}\nlist: [*b, *b]\n",
    "s: &s text\nt: *s\nu: [*s]\n&k key: value\nv: *k\n",
    "seq: &l [1, 2]\nagain: *l\nin: {deeper: *l}\n",
    "defaults: &d {a: 1, b: 2, n: {x: 1}}\nprod:\n  <<: *d\n  b: 3\n  c: 4\n",
    "prod:\n  b: 3\n  <<: {a: 1, b: 2}\n",
    "x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n  c: 3\n",
    "m: &m {a: 1}\nlist:\n  - <<: *m\n    b: 2\n  - {<<: *m}\nnested: {k: {<<: *m, a: 0}}\n",
    "only: {<<: {}}\nalso: {<<: {a: 1}}\n",
    "anchored: &top\n  k: {v: 1}\ncopy: *top\n",
    "---\na: 1\n...\n",
    "%YAML 1.1\n---\nunicode: \"\u00e9t\u00e9 \\u263A\"\n# a comment\nk: v # another\n",
    "!!map {a: !!map {b: c}, l: !!seq [1]}\n",
    "",
    "# only a comment\n",
    "~\n",
    "---\n",
  };

  @Test
  void yamlIsFlattenedExactlyAsSnakeYamlsSafeLoaderReadsIt() throws Exception {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    for (String document : SAME_AS_SNAKEYAML) {
      Object tree = new Yaml(new SafeConstructor(options)).load(document);
      Map<String, Object> expected = new LinkedHashMap<>();
      if (tree != null) {
        flattenTree("", (Map<?, ?>) tree, expected);
      }
      Map<String, Object> actual = parse("a.yml", document);
      assertEquals(expected, actual, document);
      if (!document.contains("<<")) { // a merge's keys come after the mapping's own, not before
        assertEquals(expected.keySet().toString(), actual.keySet().toString(), document);
      }
      for (String key : expected.keySet()) {
        assertEquals(types(expected.get(key)), types(actual.get(key)), key + " in " + document);
      }
    }
  }

  private static void flattenTree(String prefix, Map<?, ?> map, Map<String, Object> out) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = prefix + entry.getKey();
      if (entry.getValue() instanceof Map<?, ?> nested && !nested.isEmpty()) {
        flattenTree(key + ".", nested, out);
      } else {
        out.put(key, entry.getValue() == null ? "" : entry.getValue());
      }
    }
  }

  /** The value's classes, nested: 5 and "5" differ, and so do [5] and ["5"]. */
  private static String types(Object value) {
    if (value instanceof Map<?, ?> map) {
      StringBuilder text = new StringBuilder("{");
      map.forEach((k, v) -> text.append(types(k)).append('=').append(types(v)).append(','));
      return text.append('}').toString();
    }
    if (value instanceof List<?> list) {
      return list.stream().map(ConfigParserTest::types).toList().toString();
    }
    return value == null ? "null" : value.getClass().getSimpleName();
  }
}
