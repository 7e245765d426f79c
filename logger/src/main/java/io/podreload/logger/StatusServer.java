package io.podreload.logger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micronaut.context.annotation.Bean;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * {@code /health} and {@code /prometheus} on LOGGER_HTTP_PORT, served by the JDK's own HTTP server:
 * two tiny endpoints do not justify a Netty stack in a sidecar that must stay small.
 */
@Singleton
@Bean(preDestroy = "stop")
public class StatusServer {
  private final LoggerSettings settings;
  private final LoggerService service;
  private final Metrics metrics;
  private HttpServer server;

  public StatusServer(LoggerSettings settings, LoggerService service, Metrics metrics) {
    this.settings = settings;
    this.service = service;
    this.metrics = metrics;
  }

  public synchronized int start() throws IOException {
    try {
      server = HttpServer.create(new InetSocketAddress(settings.httpPort()), 16);
    } catch (java.net.BindException e) {
      throw new IOException(
          "cannot listen on port "
              + settings.httpPort()
              + " ("
              + e.getMessage()
              + "): set LOGGER_HTTP_PORT to a free port",
          e);
    }
    server.setExecutor(Executors.newSingleThreadExecutor(r -> daemon(r, "status-http")));
    server.createContext("/health", this::health);
    server.createContext("/prometheus", this::prometheus);
    server.start();
    return server.getAddress().getPort();
  }

  public synchronized void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private void health(HttpExchange exchange) throws IOException {
    boolean up = service.healthy();
    StringBuilder sb = new StringBuilder("{\"status\":\"").append(up ? "UP" : "DOWN");
    sb.append("\",\"outputs\":{");
    boolean first = true;
    for (Pipeline p : service.pipelines()) {
      sb.append(first ? "" : ",").append('"').append(p.name()).append("\":{\"healthy\":");
      first = false;
      sb.append(p.healthy()).append(",\"down\":");
      quoted(sb, p.downReason());
      sb.append(",\"lastError\":");
      quoted(sb, p.lastError());
      sb.append(",\"files\":[");
      boolean firstFile = true;
      for (FileFollower f : p.followers()) {
        sb.append(firstFile ? "" : ",").append("{\"path\":");
        firstFile = false;
        quoted(sb, f.followed().toString());
        sb.append(",\"bytesBehind\":").append(f.bytesBehind()).append(",\"problem\":");
        quoted(sb, f.problem());
        sb.append('}');
      }
      sb.append("]}");
    }
    sb.append("}}");
    respond(exchange, up ? 200 : 503, "application/json", sb.toString());
  }

  private void prometheus(HttpExchange exchange) throws IOException {
    respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.prometheus());
  }

  private static void quoted(StringBuilder sb, String s) {
    if (s == null) {
      sb.append("null");
    } else {
      sb.append('"');
      Json.appendEscaped(sb, s);
      sb.append('"');
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
