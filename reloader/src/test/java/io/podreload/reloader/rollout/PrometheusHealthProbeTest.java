package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.podreload.reloader.rollout.AppView.HealthSample;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The gate's reading of an app's management port, served here as Micronaut serves it. */
class PrometheusHealthProbeTest {

  private static final String EXPOSITION =
      """
      # HELP http_server_requests_seconds \s
      # TYPE http_server_requests_seconds summary
      http_server_requests_seconds_count{exception="none",method="GET",status="200",uri="/"} 97.0
      http_server_requests_seconds_sum{exception="none",method="GET",status="200",uri="/"} 0.31
      http_server_requests_seconds_count{exception="none",method="GET",status="503",uri="/"} 2.0
      http_server_requests_seconds_count{exception="IllegalStateException",method="GET",status="500",uri="/"} 1.0
      http_server_requests_seconds_count{exception="none",method="GET",status="404",uri="UNKNOWN"} 4.0
      http_server_requests_seconds_max{exception="none",method="GET",status="500",uri="/"} 0.02
      app_reloads_total{result="applied"} 3.0
      """;

  @Test
  void itSumsTheRequestCounterAndItsFiveHundredsAndIgnoresOtherSeries() {
    long[] counts = PrometheusHealthProbe.count(EXPOSITION);
    assertThat(counts).containsExactly(104, 3);
    assertThat(PrometheusHealthProbe.count("")).containsExactly(0, 0);
  }

  @Test
  void itReadsReadinessAndCountersFromTheManagementPortAndAFailedReadingIsNull() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    int[] readiness = {200};
    server.createContext(
        "/health/readiness",
        exchange -> {
          byte[] body = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(readiness[0], body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.createContext(
        "/prometheus",
        exchange -> {
          byte[] body = EXPOSITION.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
      PrometheusHealthProbe probe = new PrometheusHealthProbe(base, Duration.ofSeconds(2));
      assertThat(probe.get()).isEqualTo(new HealthSample(true, 104, 3));
      readiness[0] = 503;
      assertThat(probe.get()).isEqualTo(new HealthSample(false, 104, 3));
    } finally {
      server.stop(0);
    }
    PrometheusHealthProbe gone =
        new PrometheusHealthProbe(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
            Duration.ofMillis(500));
    assertThat(gone.get()).isNull();
  }
}
