package io.podreload.common;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
