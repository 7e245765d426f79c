package io.podreload.logger;

import java.nio.charset.StandardCharsets;

/** The little JSON writing the outputs need, without a serializer on the hot path. */
final class Json {
  private Json() {}

  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    appendEscaped(sb, s);
    return sb.toString();
  }

  /** Appends {@code s} as the inside of a JSON string (without the quotes). */
  static void appendEscaped(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
  }

  /** Appends a line's bytes (UTF-8; invalid sequences become U+FFFD) as a JSON string. */
  static void appendString(StringBuilder sb, byte[] data, int start, int length) {
    appendString(sb, data, start, length, "");
  }

  /** As above, with {@code suffix} after the line's text, inside the string. */
  static void appendString(StringBuilder sb, byte[] data, int start, int length, String suffix) {
    sb.append('"');
    appendEscaped(sb, new String(data, start, length, StandardCharsets.UTF_8));
    appendEscaped(sb, suffix);
    sb.append('"');
  }
}
