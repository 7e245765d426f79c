package io.podreload.common;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A sidecar's {@code /health} and {@code /prometheus}, served by the JDK's own HTTP server on one
 * thread: a few tiny endpoints do not justify a Netty stack in a program that must start in well
 * under a second and stay small. Paths match exactly; anything else is a 404.
 */
public final class StatusHttpServer implements AutoCloseable {

  /** One answer: status code, content type and body. */
  public record Answer(int status, String contentType, String body) {

    /** {@code {"status":"UP"|"DOWN", ...details}}: 200 when up, else 503. */
    public static Answer health(boolean up, Map<String, ?> details) {
      StringBuilder sb = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN").append('"');
      if (!details.isEmpty()) {
        sb.append(",\"details\":");
        json(sb, details);
      }
      return new Answer(up ? 200 : 503, "application/json", sb.append('}').toString());
    }

    /** The Prometheus text format. */
    public static Answer prometheus(PrometheusRegistry registry) {
      return new Answer(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;

  private StatusHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Listens on {@code port} (0: any free port) and answers each path in {@code routes}.
   *
   * @param portVariable the variable that sets the port, named in the error when it is taken
   */
  public static StatusHttpServer start(
      int port, String portVariable, Map<String, Supplier<Answer>> routes) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 16);
    } catch (BindException e) {
      throw new IOException(
          "cannot listen on port "
              + port
              + " ("
              + e.getMessage()
              + "): set "
              + portVariable
              + " to a free port",
          e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "status-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            Supplier<Answer> route = routes.get(exchange.getRequestURI().getPath());
            Answer answer;
            try {
              answer = route == null ? new Answer(404, "text/plain", "not found\n") : route.get();
            } catch (RuntimeException e) {
              answer = new Answer(500, "text/plain", e + "\n");
            }
            respond(exchange, answer);
          }
        });
    server.start();
    return new StatusHttpServer(server, executor);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void respond(HttpExchange exchange, Answer answer) throws IOException {
    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", answer.contentType());
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(answer.status(), head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Strings, numbers, booleans, null, maps and lists as JSON. */
  static void json(StringBuilder sb, Object value) {
    if (value == null) {
      sb.append("null");
    } else if (value instanceof Number || value instanceof Boolean) {
      sb.append(value);
    } else if (value instanceof Map<?, ?> map) {
      sb.append('{');
      Iterator<? extends Map.Entry<?, ?>> entries = map.entrySet().iterator();
      while (entries.hasNext()) {
        Map.Entry<?, ?> entry = entries.next();
        json(sb, String.valueOf(entry.getKey()));
        sb.append(':');
        json(sb, entry.getValue());
        sb.append(entries.hasNext() ? "," : "");
      }
      sb.append('}');
    } else if (value instanceof List<?> list) {
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        json(sb, list.get(i));
        sb.append(i + 1 < list.size() ? "," : "");
      }
      sb.append(']');
    } else {
      sb.append('"');
      String s = value.toString();
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
      sb.append('"');
    }
  }
}
