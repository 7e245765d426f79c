package io.podreload.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fake API server answers as the Kubernetes API documents it. */
class LocalKubernetesApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONFIGMAPS = "/api/v1/namespaces/ns/configmaps";
  private static final String BY_NAME = "fieldSelector=metadata.name%3Dapp-config";

  private final LocalKubernetesApi api = new LocalKubernetesApi();
  private final HttpClient http = HttpClient.newHttpClient();

  LocalKubernetesApiTest() throws Exception {}

  @AfterEach
  void close() {
    api.close();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(api.url() + pathAndQuery)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private BufferedReader watch(String query) throws Exception {
    HttpResponse<java.io.InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create(api.url() + CONFIGMAPS + "?watch=true&" + query))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    return new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
  }

  @Test
  void listSelectsByNameAndCarriesTheListResourceVersion() throws Exception {
    api.put("ns", "app-config", Map.of("application.yml", "a: 1"));
    long rv = api.put("ns", "other", Map.of("x", "y"));

    JsonNode list = JSON.readTree(get(CONFIGMAPS + "?" + BY_NAME).body());

    assertEquals("ConfigMapList", list.get("kind").asText());
    assertEquals(String.valueOf(rv), list.at("/metadata/resourceVersion").asText());
    assertEquals(1, list.get("items").size());
    assertEquals("a: 1", list.at("/items/0/data/application.yml").asText());
  }

  @Test
  void aWatchStreamsLaterChangesBookmarksAndDeletes() throws Exception {
    long rv = api.put("ns", "app-config", Map.of("application.yml", "a: 1"));
    BufferedReader events = watch(BY_NAME + "&allowWatchBookmarks=true&resourceVersion=" + rv);

    api.put("ns", "other", Map.of("x", "y")); // filtered out by the field selector
    api.put("ns", "app-config", Map.of("application.yml", "a: 2"));
    api.bookmark();
    api.delete("ns", "app-config");

    JsonNode modified = JSON.readTree(events.readLine());
    assertEquals("MODIFIED", modified.get("type").asText());
    assertEquals("a: 2", modified.at("/object/data/application.yml").asText());
    assertEquals("BOOKMARK", JSON.readTree(events.readLine()).get("type").asText());
    assertEquals("DELETED", JSON.readTree(events.readLine()).get("type").asText());
  }

  @Test
  void aWatchFromACompactedResourceVersionGets410Expired() throws Exception {
    long rv = api.put("ns", "app-config", Map.of("application.yml", "a: 1"));
    api.put("ns", "app-config", Map.of("application.yml", "a: 2"));
    api.compact();

    JsonNode error = JSON.readTree(watch(BY_NAME + "&resourceVersion=" + rv).readLine());

    assertEquals("ERROR", error.get("type").asText());
    assertEquals(410, error.at("/object/code").asInt());
    assertEquals("Expired", error.at("/object/reason").asText());
  }

  @Test
  void aForbiddenRequestGetsA403StatusThatNamesTheVerb() throws Exception {
    api.forbid(true);
    HttpResponse<String> response = get(CONFIGMAPS + "?watch=true&" + BY_NAME);
    assertEquals(403, response.statusCode());
    JsonNode status = JSON.readTree(response.body());
    assertEquals("Forbidden", status.get("reason").asText());
    assertTrue(status.get("message").asText().contains("cannot watch resource \"configmaps\""));
  }
}
