package io.podreload.reloader.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A fake of the Vault HTTP API, because no Vault or OpenBao server runs here. It implements only
 * the endpoints the reloader uses, with bodies shaped like Vault's documented responses:
 *
 * <ul>
 *   <li>{@code POST /v1/auth/<mount>/login} (Kubernetes auth: role + jwt) with every auth field
 *   <li>{@code POST /v1/auth/token/renew-self}, {@code GET /v1/auth/token/lookup-self}
 *   <li>KV v2: {@code GET /v1/<mount>/data/<path>} and {@code GET /v1/<mount>/metadata/<path>}
 *   <li>KV v1: {@code GET /v1/<mount>/<path>}
 *   <li>errors as {@code {"errors": [...]}}: 403 permission denied (bad, expired or revoked token),
 *       404, 503 "Vault is sealed"
 * </ul>
 *
 * Tokens carry a TTL; the test can expire or revoke them, seal the server, and require a namespace
 * ({@code X-Vault-Namespace}).
 */
public final class FakeVault implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A secret version of a KV v2 mount. */
  private record Version(Map<String, String> data, Instant created) {}

  private record Token(String id, String accessor, long ttlSeconds, Instant expires, String path) {}

  /** A request as the server saw it (the token is not recorded). */
  public record Request(String method, String path, String namespace) {}

  private final HttpServer server;
  private final Map<String, List<Version>> kv2 = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> kv1 = new ConcurrentHashMap<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, String> roles = new ConcurrentHashMap<>(); // role -> accepted jwt
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<String> issued = new CopyOnWriteArrayList<>();
  private volatile boolean sealed;
  private volatile String requiredNamespace;
  private volatile long loginTtlSeconds = 3600;
  private volatile int logins;
  private volatile int renewals;

  public FakeVault() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "fake-vault");
              thread.setDaemon(true);
              return thread;
            }));
    server.createContext("/v1/", this::handle);
    server.start();
  }

  /** {@code VAULT_ADDR} for a client. */
  public String address() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Writes a new version of a KV v2 secret, e.g. {@code ("secret", "app", ...)}; its number. */
  public int putV2(String mount, String path, Map<String, String> data) {
    List<Version> versions =
        kv2.computeIfAbsent(mount + "/" + path, k -> new CopyOnWriteArrayList<>());
    versions.add(new Version(new TreeMap<>(data), Instant.now()));
    return versions.size();
  }

  /** Writes a KV v1 secret. */
  public void putV1(String mount, String path, Map<String, String> data) {
    kv1.put(mount + "/" + path, new TreeMap<>(data));
  }

  /** A token that the server accepts, as {@code vault token create -ttl=...} makes. */
  public String createToken(long ttlSeconds) {
    return issue(ttlSeconds, "auth/token/create").id();
  }

  /** Lets {@code role} log in through Kubernetes auth with exactly this service-account JWT. */
  public void allowKubernetesLogin(String role, String jwt) {
    roles.put(role, jwt);
  }

  /** The TTL of tokens issued by later logins. */
  public void loginTtlSeconds(long ttl) {
    loginTtlSeconds = ttl;
  }

  /** Makes a token invalid now, as its TTL running out does. */
  public void expire(String token) {
    tokens.computeIfPresent(
        token, (k, t) -> new Token(t.id(), t.accessor(), t.ttlSeconds(), Instant.EPOCH, t.path()));
  }

  /** Makes every token invalid now, as their TTLs running out does. */
  public void expireAll() {
    tokens.keySet().forEach(this::expire);
  }

  /** Revokes every token, as {@code vault token revoke} would. */
  public void revokeAll() {
    tokens.clear();
  }

  public void seal(boolean on) {
    sealed = on;
  }

  /** Every request must carry this {@code X-Vault-Namespace}, or it is not found. */
  public void requireNamespace(String namespace) {
    requiredNamespace = namespace;
  }

  public int logins() {
    return logins;
  }

  public int renewals() {
    return renewals;
  }

  /** Every token ever issued, revoked ones included. */
  public List<String> issuedTokens() {
    return List.copyOf(issued);
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private Token issue(long ttlSeconds, String path) {
    Token token =
        new Token(
            "hvs." + UUID.randomUUID().toString().replace("-", ""),
            UUID.randomUUID().toString(),
            ttlSeconds,
            Instant.now().plusSeconds(ttlSeconds),
            path);
    tokens.put(token.id(), token);
    issued.add(token.id());
    return token;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath().substring("/v1/".length());
      String namespace = exchange.getRequestHeaders().getFirst("X-Vault-Namespace");
      String method = exchange.getRequestMethod();
      requests.add(new Request(method, path, namespace));
      if (sealed) {
        error(exchange, 503, "Vault is sealed");
        return;
      }
      if (requiredNamespace != null && !requiredNamespace.equals(namespace)) {
        error(exchange, 404, "no handler for route \"" + path + "\". route entry not found.");
        return;
      }
      if (path.startsWith("auth/") && path.endsWith("/login") && "POST".equals(method)) {
        login(exchange);
        return;
      }
      Token token =
          tokens.get(String.valueOf(exchange.getRequestHeaders().getFirst("X-Vault-Token")));
      if (token == null || token.expires().isBefore(Instant.now())) {
        error(exchange, 403, "permission denied");
        return;
      }
      if (path.equals("auth/token/renew-self") && "POST".equals(method)) {
        renewals++;
        Token renewed =
            new Token(
                token.id(),
                token.accessor(),
                token.ttlSeconds(),
                Instant.now().plusSeconds(token.ttlSeconds()),
                token.path());
        tokens.put(token.id(), renewed);
        send(exchange, 200, authResponse(renewed));
      } else if (path.equals("auth/token/lookup-self") && "GET".equals(method)) {
        send(exchange, 200, lookupResponse(token));
      } else if ("GET".equals(method)) {
        read(exchange, path);
      } else {
        error(exchange, 405, "unsupported operation");
      }
    }
  }

  private void login(HttpExchange exchange) throws IOException {
    JsonNode body = JSON.readTree(exchange.getRequestBody());
    String role = body.path("role").asText();
    String jwt = body.path("jwt").asText();
    if (!roles.containsKey(role)) {
      error(exchange, 400, "invalid role name \"" + role + "\"");
    } else if (!roles.get(role).equals(jwt)) {
      error(exchange, 403, "permission denied");
    } else {
      logins++;
      String mount = exchange.getRequestURI().getPath().substring("/v1/".length());
      send(exchange, 200, authResponse(issue(loginTtlSeconds, mount)));
    }
  }

  private void read(HttpExchange exchange, String path) throws IOException {
    int slash = path.indexOf('/');
    String mount = slash < 0 ? path : path.substring(0, slash);
    String rest = slash < 0 ? "" : path.substring(slash + 1);
    if (rest.startsWith("data/") && kv2.containsKey(mount + "/" + rest.substring(5))) {
      List<Version> versions = kv2.get(mount + "/" + rest.substring(5));
      Version current = versions.get(versions.size() - 1);
      ObjectNode data = JSON.createObjectNode();
      ObjectNode secret = data.putObject("data");
      current.data().forEach(secret::put);
      ObjectNode meta = data.putObject("metadata");
      meta.put("created_time", current.created().toString());
      meta.putNull("custom_metadata");
      meta.put("deletion_time", "").put("destroyed", false).put("version", versions.size());
      send(exchange, 200, envelope(data, 0));
    } else if (rest.startsWith("metadata/") && kv2.containsKey(mount + "/" + rest.substring(9))) {
      List<Version> versions = kv2.get(mount + "/" + rest.substring(9));
      ObjectNode data = JSON.createObjectNode();
      data.put("cas_required", false).put("created_time", versions.get(0).created().toString());
      data.put("current_version", versions.size()).putNull("custom_metadata");
      data.put("delete_version_after", "0s").put("max_versions", 0).put("oldest_version", 0);
      data.put("updated_time", versions.get(versions.size() - 1).created().toString());
      ObjectNode all = data.putObject("versions");
      for (int i = 0; i < versions.size(); i++) {
        all.putObject(String.valueOf(i + 1))
            .put("created_time", versions.get(i).created().toString())
            .put("deletion_time", "")
            .put("destroyed", false);
      }
      send(exchange, 200, envelope(data, 0));
    } else if (kv1.containsKey(path)) {
      ObjectNode data = JSON.createObjectNode();
      kv1.get(path).forEach(data::put);
      send(exchange, 200, envelope(data, 2764800));
    } else {
      send(exchange, 404, "{\"errors\":[]}");
    }
  }

  private static ObjectNode base() {
    ObjectNode response = JSON.createObjectNode();
    response.put("request_id", UUID.randomUUID().toString());
    response.put("lease_id", "").put("renewable", false);
    return response;
  }

  private static String envelope(ObjectNode data, int leaseDuration) {
    ObjectNode response = base();
    response.put("lease_duration", leaseDuration);
    response.set("data", data);
    response.putNull("wrap_info").putNull("warnings").putNull("auth").putNull("mount_type");
    return response.toString();
  }

  private static String authResponse(Token token) {
    ObjectNode response = base();
    response.put("lease_duration", 0).putNull("data").putNull("wrap_info").putNull("warnings");
    ObjectNode auth = response.putObject("auth");
    auth.put("client_token", token.id()).put("accessor", token.accessor());
    auth.putArray("policies").add("default").add("app");
    auth.putArray("token_policies").add("default").add("app");
    auth.putObject("metadata")
        .put("role", "app")
        .put("service_account_name", "app")
        .put("service_account_namespace", "default");
    auth.put("lease_duration", token.ttlSeconds()).put("renewable", true);
    auth.put(
        "entity_id",
        UUID.nameUUIDFromBytes(token.accessor().getBytes(StandardCharsets.UTF_8)).toString());
    auth.put("token_type", "service").put("orphan", true).putNull("mfa_requirement");
    auth.put("num_uses", 0);
    return response.toString();
  }

  private static String lookupResponse(Token token) {
    long ttl = Math.max(0, token.expires().getEpochSecond() - Instant.now().getEpochSecond());
    ObjectNode data = JSON.createObjectNode();
    data.put("accessor", token.accessor()).put("creation_time", Instant.now().getEpochSecond());
    data.put("creation_ttl", token.ttlSeconds()).put("display_name", "kubernetes-default-app");
    data.put("entity_id", "").put("expire_time", token.expires().toString());
    data.put("explicit_max_ttl", 0)
        .put("id", token.id())
        .put("issue_time", Instant.now().toString());
    data.putObject("meta").put("role", "app");
    data.put("num_uses", 0).put("orphan", true).put("path", token.path());
    data.putArray("policies").add("default").add("app");
    data.put("renewable", true).put("ttl", ttl).put("type", "service");
    return envelope(data, 0);
  }

  private static void error(HttpExchange exchange, int code, String message) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("errors").add(message);
    send(exchange, code, body.toString());
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
