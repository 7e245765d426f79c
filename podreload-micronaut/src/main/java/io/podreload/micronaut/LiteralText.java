package io.podreload.micronaut;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A value from a config dir that holds {@code ${}: kept literal in Micronaut's environment.
 *
 * <p>Micronaut expands {@code ${...}} in every text value it resolves, from the environment and
 * from every other property, secrets included. A ConfigMap editor could then read a Vault secret
 * or an environment variable through a key that is served ({@code app.greeting: "${db.password}"}).
 * Micronaut expands only {@link CharSequence} values; this wrapper is not one, and converts to the
 * text as it is written (Micronaut's {@code Object -> String} conversion uses {@link #toString()}).
 */
public record LiteralText(String text) {

  private static final String PLACEHOLDER = "${";

  @Override
  public String toString() {
    return text;
  }

  /** The same properties, every text that Micronaut would expand wrapped, in lists and maps too. */
  public static Map<String, Object> protect(Map<String, Object> properties) {
    Map<String, Object> protectedValues = new LinkedHashMap<>(properties);
    protectedValues.replaceAll((key, value) -> literal(value));
    return protectedValues;
  }

  /** The same value, every text in it that Micronaut would expand wrapped. */
  public static Object literal(Object value) {
    if (value instanceof CharSequence text && text.toString().contains(PLACEHOLDER)) {
      return new LiteralText(text.toString());
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(element -> copy.add(literal(element)));
      return copy;
    }
    if (value instanceof Map<?, ?> map) {
      Map<Object, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(k, literal(v)));
      return copy;
    }
    return value;
  }
}
