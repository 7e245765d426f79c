package io.podreload.reloader.vault;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The form a Vault secret takes on disk: one properties file, a line per key of the secret (the key
 * is the property name), sorted, escaped as {@link java.util.Properties#store} escapes, in plain
 * ASCII ({@code \}{@code uXXXX} for anything else), so that {@link java.util.Properties#load} in
 * any charset gives back exactly the secret's keys and values.
 */
final class SecretProperties {

  private SecretProperties() {}

  static byte[] render(String secretPath, Map<String, String> data) {
    StringBuilder out = new StringBuilder();
    out.append("# Vault secret ").append(escape(secretPath, false));
    out.append(", rendered by the reloader. Do not edit: it is replaced on every new version.\n");
    new TreeMap<>(data)
        .forEach(
            (key, value) ->
                out.append(escape(key, true))
                    .append('=')
                    .append(escape(value, false))
                    .append('\n'));
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String escape(String text, boolean isKey) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\f' -> out.append("\\f");
        case '=', ':', '#', '!' -> out.append('\\').append(c);
          // load() drops leading blanks of a value and ends a key at the first blank
        case ' ' -> out.append(i == 0 || isKey ? "\\ " : " ");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
