package io.podreload.logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A fake of the Elasticsearch/OpenSearch {@code POST /_bulk} API (a real OpenSearch cannot be made
 * to fail on cue): NDJSON action/source pairs in, the documented response out ({@code
 * {"took":..,"errors":..,"items":[{"index":{"_id":..,"status":..,"error":{..}}}]}}). Failures are
 * scripted: whole requests answered 429 or 503, one request answered per item (some items 429, some
 * refused for good with 400). It records every document it accepted, and an accepted id sent again
 * as a duplicate.
 */
final class FakeBulkServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Accepted documents: id to message. */
  final Map<String, String> accepted = new ConcurrentHashMap<>();

  final List<String> duplicates = new CopyOnWriteArrayList<>();
  final List<String> problems = new CopyOnWriteArrayList<>();
  private final Deque<Object> script = new ArrayDeque<>();
  private final HttpServer server;

  /** One scripted answer: for one request, which items get which status (null: accepted). */
  interface ItemStatus {
    Integer statusFor(String message);
  }

  /** The Authorization header of each request, in order ("" when there was none). */
  final List<String> authorizations = new CopyOnWriteArrayList<>();

  FakeBulkServer() throws IOException {
    this(null);
  }

  /** Over HTTPS with {@code tls}'s certificate when it is given. */
  FakeBulkServer(TestCertificate tls) throws IOException {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", 0);
    if (tls == null) {
      server = HttpServer.create(address, 0);
    } else {
      HttpsServer https = HttpsServer.create(address, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
      server = https;
    }
    server.createContext("/_bulk", this::bulk);
    server.start();
  }

  /** The next request is answered with this HTTP status as a whole, nothing indexed. */
  synchronized FakeBulkServer thenRequestStatus(int status) {
    script.add(status);
    return this;
  }

  /** The next request is answered per item: a status for some items, the rest accepted. */
  synchronized FakeBulkServer thenItems(ItemStatus items) {
    script.add(items);
    return this;
  }

  /** Items matching {@code refuse} are always refused for good (a mapping conflict). */
  volatile Predicate<String> refuse = m -> false;

  private synchronized Object next() {
    return script.poll();
  }

  private void bulk(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    authorizations.add(authorization == null ? "" : authorization);
    Object answer = next();
    if (answer instanceof Integer status) {
      respond(exchange, status, "{\"error\":\"scripted\",\"status\":" + status + "}");
      return;
    }
    ItemStatus items = answer instanceof ItemStatus s ? s : m -> null;
    String[] lines = body.split("\n");
    if (lines.length % 2 != 0
        || !String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"))
            .startsWith("application/x-ndjson")) {
      problems.add("not NDJSON action/source pairs: " + body.length() + " chars");
      respond(exchange, 400, "{\"error\":\"bad request\"}");
      return;
    }
    ObjectNode response = JSON.createObjectNode().put("took", 1);
    ArrayNode results = response.putArray("items");
    boolean errors = false;
    for (int i = 0; i < lines.length; i += 2) {
      JsonNode action = JSON.readTree(lines[i]).path("index");
      JsonNode source = JSON.readTree(lines[i + 1]);
      String id = action.path("_id").asText();
      String message = source.path("message").asText();
      Integer status = refuse.test(message) ? Integer.valueOf(400) : items.statusFor(message);
      ObjectNode result = results.addObject().putObject("index");
      result.put("_index", action.path("_index").asText()).put("_id", id);
      if (status == null) {
        if (accepted.putIfAbsent(id, message) != null) {
          duplicates.add(message);
        }
        result.put("status", 201).put("result", "created");
      } else {
        errors = true;
        result.put("status", status);
        result
            .putObject("error")
            .put(
                "type",
                status == 429 ? "es_rejected_execution_exception" : "mapper_parsing_exception")
            .put("reason", "scripted");
      }
    }
    response.put("errors", errors);
    respond(exchange, 200, JSON.writeValueAsString(response));
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  List<String> acceptedMessages() {
    List<String> all = new ArrayList<>(accepted.values());
    all.sort(null);
    return all;
  }

  String url() {
    return (server instanceof HttpsServer ? "https" : "http")
        + "://127.0.0.1:"
        + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
