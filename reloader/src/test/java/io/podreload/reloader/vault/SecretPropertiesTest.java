package io.podreload.reloader.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParser;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The properties form of a secret gives back exactly the secret's keys and values. */
class SecretPropertiesTest {

  private static final Map<String, String> AWKWARD =
      Map.of(
          "db.password", "p@ss=word:#!\\ with spaces ",
          "leading", "  two blanks first",
          "multi.line", "line one\nline two\r\n\ttabbed",
          "unicode", "Grüße ✓ 日本",
          "key with spaces=and:colons", "x",
          "empty", "");

  @Test
  void everyKeyAndValueRoundTripsThroughPropertiesLoadInAnyCharset() throws Exception {
    byte[] rendered = SecretProperties.render("secret/app", AWKWARD);

    Properties latin1 = new Properties();
    latin1.load(new ByteArrayInputStream(rendered));
    Properties utf8 = new Properties();
    utf8.load(new StringReader(new String(rendered, StandardCharsets.UTF_8)));

    assertEquals(AWKWARD, asMap(latin1));
    assertEquals(AWKWARD, asMap(utf8));
    for (byte b : rendered) {
      assertTrue(b > 0, "plain ASCII only");
    }
  }

  @Test
  void theAppsParserReadsTheSameValues() throws Exception {
    byte[] rendered = SecretProperties.render("secret/app", AWKWARD);
    Map<String, Object> parsed = ConfigParser.parse(new ConfigFile("vault.properties", rendered));
    assertEquals(new java.util.TreeMap<String, Object>(AWKWARD), new java.util.TreeMap<>(parsed));
  }

  @Test
  void renderingIsStableSoAnUnchangedSecretHasAnUnchangedHash() {
    Map<String, String> reordered = new LinkedHashMap<>();
    reordered.put("b", "2");
    reordered.put("a", "1");
    assertEquals(
        new String(SecretProperties.render("secret/app", Map.of("a", "1", "b", "2"))),
        new String(SecretProperties.render("secret/app", reordered)));
  }

  private static Map<String, String> asMap(Properties properties) {
    Map<String, String> map = new LinkedHashMap<>();
    properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
    return map;
  }
}
