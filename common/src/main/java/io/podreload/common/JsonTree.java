package io.podreload.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON to and from plain maps, lists, strings, numbers, booleans and nulls, on jackson-core's
 * streaming parser: the status file and JSON config files need no data binding, and the sidecars
 * start faster and smaller without it. Duplicate keys and trailing content are errors. The one JSON
 * writer of the sidecars: the status file, health answers and the Vault client's requests.
 */
public final class JsonTree {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          // the reader below recurses per level: cap it well before the stack runs out
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(ConfigParser.PARSER_DEPTH_BACKSTOP)
                  .build())
          .build();

  private JsonTree() {}

  /**
   * Parses one JSON document.
   *
   * @throws com.fasterxml.jackson.core.JsonProcessingException with the location of the problem
   */
  public static Object parse(byte[] json) throws IOException {
    try (JsonParser parser = FACTORY.createParser(json)) {
      if (parser.nextToken() == null) {
        throw new JsonParseException(parser, "no JSON value");
      }
      Object value = read(parser);
      if (parser.nextToken() != null) {
        throw new JsonParseException(parser, "unexpected content after the JSON value");
      }
      return value;
    }
  }

  /** {@code value} as indented JSON. */
  public static byte[] write(Object value) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator generator = FACTORY.createGenerator(out).useDefaultPrettyPrinter()) {
      write(generator, value);
    }
    return out.toByteArray();
  }

  /** {@code value} as JSON on one line, e.g. a health answer. */
  public static String toJson(Object value) {
    StringWriter out = new StringWriter(128);
    try (JsonGenerator generator = FACTORY.createGenerator(out)) {
      write(generator, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  private static Object read(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          map.put(name, read(parser));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          list.add(read(parser));
        }
        return list;
      }
      case VALUE_STRING -> {
        return parser.getText();
      }
      case VALUE_NUMBER_INT -> {
        return parser.getNumberValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return parser.getDoubleValue();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return parser.getBooleanValue();
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new JsonParseException(parser, "unexpected " + token);
    }
  }

  private static void write(JsonGenerator generator, Object value) throws IOException {
    if (value == null) {
      generator.writeNull();
    } else if (value instanceof Map<?, ?> map) {
      generator.writeStartObject();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        generator.writeFieldName(String.valueOf(entry.getKey()));
        write(generator, entry.getValue());
      }
      generator.writeEndObject();
    } else if (value instanceof List<?> list) {
      generator.writeStartArray();
      for (Object item : list) {
        write(generator, item);
      }
      generator.writeEndArray();
    } else if (value instanceof Boolean b) {
      generator.writeBoolean(b);
    } else if (value instanceof Long || value instanceof Integer) {
      generator.writeNumber(((Number) value).longValue());
    } else if (value instanceof Number n) {
      generator.writeNumber(n.doubleValue());
    } else {
      generator.writeString(value.toString());
    }
  }
}
