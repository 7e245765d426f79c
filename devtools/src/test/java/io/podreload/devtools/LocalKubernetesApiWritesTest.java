package io.podreload.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fake API server's writes against the documented API semantics, spoken as raw HTTP: PUT and
 * merge patches with resourceVersion preconditions (409 Conflict with a Status body), and
 * server-side apply with field managers (per-key ownership, conflicts, force, removal of keys a
 * manager stopped applying, creation of a missing object).
 */
class LocalKubernetesApiWritesTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PATH = "/api/v1/namespaces/ns/configmaps/";

  private final HttpClient http = HttpClient.newHttpClient();
  private LocalKubernetesApi api;

  @BeforeEach
  void start() throws Exception {
    api = new LocalKubernetesApi();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private record Answer(int code, JsonNode body) {}

  private Answer send(String method, String path, String type, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(api.url() + path))
            .method(method, HttpRequest.BodyPublishers.ofString(body));
    if (type != null) {
      request.header("Content-Type", type);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), JSON.readTree(response.body()));
  }

  private Answer apply(String name, String manager, boolean force, String yaml) throws Exception {
    return send(
        "PATCH",
        PATH + name + "?fieldManager=" + manager + (force ? "&force=true" : ""),
        "application/apply-patch+yaml",
        yaml);
  }

  private static String applied(String name, String data) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n" + data;
  }

  private String rv(String name) {
    return api.configMap("ns", name).path("metadata").path("resourceVersion").asText();
  }

  @Test
  void aPutWithAStaleResourceVersionIs409ConflictAndWithTheCurrentOneReplacesTheObject()
      throws Exception {
    api.put("ns", "cm", Map.of("a", "1"));
    String first = rv("cm");
    api.put("ns", "cm", Map.of("a", "2"));

    Answer stale =
        send(
            "PUT",
            PATH + "cm",
            "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"resourceVersion\":\""
                + first
                + "\"},\"data\":{\"a\":\"3\"}}");
    assertThat(stale.code()).isEqualTo(409);
    assertThat(stale.body().path("kind").asText()).isEqualTo("Status");
    assertThat(stale.body().path("reason").asText()).isEqualTo("Conflict");
    assertThat(stale.body().path("message").asText()).contains("the object has been modified");
    assertThat(api.configMap("ns", "cm").path("data").path("a").asText()).isEqualTo("2");
    assertThat(api.conflicts()).isEqualTo(1);

    Answer current =
        send(
            "PUT",
            PATH + "cm",
            "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"resourceVersion\":\""
                + rv("cm")
                + "\"},\"data\":{\"b\":\"3\"}}");
    assertThat(current.code()).isEqualTo(200);
    assertThat(current.body().path("data").toString()).isEqualTo("{\"b\":\"3\"}");
    assertThat(Long.parseLong(rv("cm"))).isGreaterThan(Long.parseLong(first) + 1);

    assertThat(send("PUT", PATH + "missing", "application/json", "{\"data\":{}}").code())
        .isEqualTo(404);
  }

  @Test
  void aMergePatchMergesRemovesNullKeysAndTakesItsResourceVersionAsAPrecondition()
      throws Exception {
    api.put("ns", "cm", Map.of("a", "1", "b", "2"));
    String before = rv("cm");
    Answer merged =
        send(
            "PATCH",
            PATH + "cm",
            "application/merge-patch+json",
            "{\"data\":{\"b\":null,\"c\":\"3\"}}");
    assertThat(merged.code()).isEqualTo(200);
    assertThat(merged.body().path("data").toString()).isEqualTo("{\"a\":\"1\",\"c\":\"3\"}");

    Answer stale =
        send(
            "PATCH",
            PATH + "cm",
            "application/merge-patch+json",
            "{\"metadata\":{\"resourceVersion\":\"" + before + "\"},\"data\":{\"a\":\"9\"}}");
    assertThat(stale.code()).isEqualTo(409);
    assertThat(api.configMap("ns", "cm").path("data").path("a").asText()).isEqualTo("1");

    Answer strategic =
        send(
            "PATCH",
            PATH + "cm",
            "application/strategic-merge-patch+json",
            "{\"metadata\":{\"resourceVersion\":\""
                + rv("cm")
                + "\",\"annotations\":{\"podreload.io/rollout\":\"paused\"}},\"data\":{\"a\":\"9\"}}");
    assertThat(strategic.code()).isEqualTo(200);
    assertThat(
            strategic
                .body()
                .path("metadata")
                .path("annotations")
                .path("podreload.io/rollout")
                .asText())
        .isEqualTo("paused");

    assertThat(send("PATCH", PATH + "cm", "application/json-patch+json", "[]").code())
        .isEqualTo(415);
  }

  @Test
  void serverSideApplyGivesEachManagerItsOwnKeysAndTwoManagersNeverConflictOnDifferentKeys()
      throws Exception {
    api.put("ns", "records", Map.of());
    assertThat(apply("records", "pod-a", false, applied("records", "  pod.a: one\n")).code())
        .isEqualTo(200);
    assertThat(apply("records", "pod-b", false, applied("records", "  pod.b: two\n")).code())
        .isEqualTo(200);

    JsonNode cm = api.configMap("ns", "records");
    assertThat(cm.path("data").toString()).isEqualTo("{\"pod.a\":\"one\",\"pod.b\":\"two\"}");
    List<String> managers = new ArrayList<>();
    cm.path("metadata")
        .path("managedFields")
        .forEach(
            m ->
                managers.add(
                    m.path("manager").asText()
                        + " "
                        + m.path("operation").asText()
                        + " "
                        + m.path("fieldsV1").toString()));
    assertThat(managers)
        .contains(
            "pod-a Apply {\"f:data\":{\"f:pod.a\":{}}}",
            "pod-b Apply {\"f:data\":{\"f:pod.b\":{}}}");
    assertThat(api.conflicts()).isZero();
  }

  @Test
  void applyingAKeyAnotherManagerOwnsWithADifferentValueIsAConflictUnlessForced() throws Exception {
    api.put("ns", "state", Map.of());
    apply("state", "holder-a", false, applied("state", "  holder: a\n  phase: canary\n"));

    Answer conflict =
        apply("state", "holder-b", false, applied("state", "  holder: b\n  phase: canary\n"));
    assertThat(conflict.code()).isEqualTo(409);
    assertThat(conflict.body().path("reason").asText()).isEqualTo("Conflict");
    assertThat(conflict.body().path("message").asText())
        .startsWith("Apply failed with 1 conflict: conflict with \"holder-a\"")
        .contains(".data.holder");
    assertThat(conflict.body().path("details").path("causes").get(0).path("type").asText())
        .isEqualTo("FieldManagerConflict");
    assertThat(api.configMap("ns", "state").path("data").path("holder").asText()).isEqualTo("a");

    // the same value is no conflict: ownership is shared
    String before = rv("state");
    assertThat(apply("state", "holder-b", false, applied("state", "  phase: canary\n")).code())
        .isEqualTo(200);
    assertThat(rv("state")).as("a no-op apply writes nothing").isEqualTo(before);

    Answer forced =
        apply("state", "holder-b", true, applied("state", "  holder: b\n  phase: canary\n"));
    assertThat(forced.code()).isEqualTo(200);
    assertThat(forced.body().path("data").path("holder").asText()).isEqualTo("b");
    // holder-a lost the key: its next apply of the old value conflicts with holder-b
    assertThat(
            apply("state", "holder-a", false, applied("state", "  holder: a\n  phase: canary\n"))
                .code())
        .isEqualTo(409);
  }

  @Test
  void aKeyAManagerOwnedAloneAndNoLongerAppliesIsRemovedButASharedOneStays() throws Exception {
    api.put("ns", "cm", Map.of());
    apply("cm", "m1", false, applied("cm", "  mine: x\n  shared: s\n"));
    apply("cm", "m2", false, applied("cm", "  shared: s\n"));
    Answer answer = apply("cm", "m1", false, applied("cm", "  other: y\n"));
    assertThat(answer.code()).isEqualTo(200);
    assertThat(answer.body().path("data").toString())
        .isEqualTo("{\"shared\":\"s\",\"other\":\"y\"}");
  }

  @Test
  void applyCreatesAMissingObjectNeedsAFieldManagerAndHonoursAResourceVersion() throws Exception {
    Answer created = apply("fresh", "m1", false, applied("fresh", "  a: \"1\"\n"));
    assertThat(created.code()).isEqualTo(201);
    assertThat(api.configMap("ns", "fresh").path("data").path("a").asText()).isEqualTo("1");

    Answer noManager =
        send(
            "PATCH",
            PATH + "fresh",
            "application/apply-patch+yaml",
            applied("fresh", "  a: \"2\"\n"));
    assertThat(noManager.code()).isEqualTo(400);
    assertThat(noManager.body().path("message").asText()).contains("fieldManager");

    String stale = rv("fresh");
    apply("fresh", "m1", false, applied("fresh", "  a: \"2\"\n"));
    Answer conflict =
        apply(
            "fresh",
            "m1",
            false,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\n  resourceVersion: \""
                + stale
                + "\"\ndata:\n  a: \"3\"\n");
    assertThat(conflict.code()).isEqualTo(409);
    assertThat(conflict.body().path("message").asText()).contains("the object has been modified");
  }

  @Test
  void fiftyManagersApplyingTheirOwnKeysAtOnceLoseNoKeyAndConflictNever() throws Exception {
    api.put("ns", "records", Map.of());
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        int n = i;
        answers.add(
            pool.submit(
                () ->
                    apply(
                            "records",
                            "pod-" + n,
                            false,
                            applied("records", "  pod." + n + ": v" + n + "\n"))
                        .code()));
      }
      for (Future<Integer> answer : answers) {
        assertThat(answer.get()).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(api.configMap("ns", "records").path("data").size()).isEqualTo(50);
    assertThat(api.conflicts()).isZero();
  }
}
