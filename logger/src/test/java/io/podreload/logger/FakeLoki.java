package io.podreload.logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake of Grafana Loki's push API (no Loki runs here): accepts {@code POST /loki/api/v1/push}
 * only in the documented JSON form ({@code {"streams":[{"stream":{labels},"values":[["<unix ns as
 * string>","<line>"]]}]}}), answers 204, and keeps what it received; anything else gets 400 and is
 * recorded as a problem.
 */
final class FakeLoki implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final List<String> lines = new CopyOnWriteArrayList<>();
  final List<Map<String, String>> streams = new CopyOnWriteArrayList<>();
  final List<String> problems = new CopyOnWriteArrayList<>();

  /** Statuses to answer the next pushes with, before accepting again (429, 503, 400...). */
  final java.util.Queue<Integer> failNext = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final HttpServer server;

  FakeLoki() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/loki/api/v1/push",
        exchange -> {
          String problem = null;
          Integer fail = failNext.poll();
          if (fail != null) {
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("scripted failure " + fail).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(fail, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
            return;
          }
          try {
            if (!"POST".equals(exchange.getRequestMethod())) {
              problem = "method " + exchange.getRequestMethod();
            } else if (!String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"))
                .startsWith("application/json")) {
              problem = "Content-Type " + exchange.getRequestHeaders().getFirst("Content-Type");
            } else {
              problem = accept(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            }
          } catch (IOException | RuntimeException e) {
            problem = "unreadable body: " + e;
          }
          if (problem != null) {
            problems.add(problem);
          }
          byte[] body = (problem == null ? "" : problem).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(
              problem == null ? 204 : 400, problem == null ? -1 : body.length);
          if (problem != null) {
            exchange.getResponseBody().write(body);
          }
          exchange.close();
        });
    server.start();
  }

  private String accept(JsonNode push) {
    JsonNode list = push.path("streams");
    if (!list.isArray() || list.isEmpty()) {
      return "no streams array";
    }
    for (JsonNode stream : list) {
      if (!stream.path("stream").isObject()) {
        return "a stream without its labels object";
      }
      for (JsonNode value : stream.path("values")) {
        if (!value.isArray()
            || value.size() != 2
            || !value.get(0).isTextual()
            || !value.get(0).asText().matches("\\d{19}")
            || !value.get(1).isTextual()) {
          return "a value that is not [\"<unix epoch ns>\", \"<line>\"]: " + value;
        }
      }
    }
    for (JsonNode stream : list) {
      Map<String, String> labels = new java.util.LinkedHashMap<>();
      stream
          .path("stream")
          .fields()
          .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      streams.add(labels);
      stream.path("values").forEach(v -> lines.add(v.get(1).asText()));
    }
    return null;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
