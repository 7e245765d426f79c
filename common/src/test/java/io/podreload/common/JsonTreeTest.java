package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {

  private static Object parse(String json) throws Exception {
    return JsonTree.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parsesEveryKindOfValueAndWritesItBack() throws Exception {
    Object tree = parse("{\"a\":{\"b\":[1,2.5,true,null,\"x\"]},\"big\":12345678901}");
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("a", Map.of("b", Arrays.asList(1, 2.5, true, null, "x")));
    expected.put("big", 12345678901L);
    assertEquals(expected, tree);
    assertEquals(tree, JsonTree.parse(JsonTree.write(tree)));
  }

  @Test
  void duplicateKeysTrailingContentAndEmptyInputAreErrors() {
    assertThrows(JsonProcessingException.class, () -> parse("{\"a\":1,\"a\":2}"));
    assertThrows(JsonProcessingException.class, () -> parse("{\"a\":1} {\"b\":2}"));
    assertThrows(JsonProcessingException.class, () -> parse("  "));
  }
}
