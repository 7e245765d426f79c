package io.podreload.reloader.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fake Vault answers as Vault's HTTP API documents it. */
class FakeVaultTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final FakeVault vault = new FakeVault();
  private final HttpClient http = HttpClient.newHttpClient();

  FakeVaultTest() throws Exception {}

  @AfterEach
  void close() {
    vault.close();
  }

  private HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(vault.address() + "/v1/" + path));
    if (token != null) {
      request.header("X-Vault-Token", token);
    }
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void kubernetesLoginGivesATokenThatReadsKv2DataAndMetadata() throws Exception {
    vault.allowKubernetesLogin("app", "jwt-of-the-pod");
    vault.putV2("secret", "app", Map.of("db.password", "one"));
    vault.putV2("secret", "app", Map.of("db.password", "two"));

    JsonNode login =
        JSON.readTree(
            call(
                    "POST",
                    "auth/kubernetes/login",
                    null,
                    "{\"role\":\"app\",\"jwt\":\"jwt-of-the-pod\"}")
                .body());
    String token = login.at("/auth/client_token").asText();
    assertTrue(login.at("/auth/orphan").isBoolean(), "login carries every auth field");

    JsonNode data = JSON.readTree(call("GET", "secret/data/app", token, null).body());
    assertEquals("two", data.at("/data/data/db.password").asText());
    assertEquals(2, data.at("/data/metadata/version").asInt());
    JsonNode meta = JSON.readTree(call("GET", "secret/metadata/app", token, null).body());
    assertEquals(2, meta.at("/data/current_version").asInt());
    assertEquals(1, vault.logins());
  }

  @Test
  void anExpiredTokenIsDeniedAndASealedVaultAnswers503() throws Exception {
    String token = vault.createToken(60);
    vault.putV1("kv", "app", Map.of("a", "b"));
    assertEquals(
        "b", JSON.readTree(call("GET", "kv/app", token, null).body()).at("/data/a").asText());

    vault.expire(token);
    HttpResponse<String> denied = call("GET", "kv/app", token, null);
    assertEquals(403, denied.statusCode());
    assertEquals("permission denied", JSON.readTree(denied.body()).at("/errors/0").asText());

    vault.seal(true);
    assertEquals(503, call("GET", "kv/app", token, null).statusCode());
  }

  @Test
  void renewSelfExtendsTheTokenAndLookupSelfReportsItsTtl() throws Exception {
    String token = vault.createToken(30);
    JsonNode renewed = JSON.readTree(call("POST", "auth/token/renew-self", token, "{}").body());
    assertEquals(token, renewed.at("/auth/client_token").asText());
    assertEquals(1, vault.renewals());
    JsonNode lookup = JSON.readTree(call("GET", "auth/token/lookup-self", token, null).body());
    assertTrue(lookup.at("/data/ttl").asLong() > 0);
  }
}
