package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PrometheusRegistryTest {

  @Test
  void countersGaugesAndHistogramsAreRenderedInTheTextFormat() {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.counter("x_reloads", "Reloads", "result", "applied").increment(2);
    registry.counter("x_reloads", "Reloads", "result", "rejected").increment();
    AtomicLong pid = new AtomicLong(42);
    registry.gauge("x_target_pid", "Target", pid::get);
    PrometheusRegistry.Histogram latency =
        registry.histogram("x_latency_seconds", "Latency", new double[] {0.01, 0.1});
    latency.observe(0.005);
    latency.observe(0.05);
    latency.observe(3);

    assertEquals(
        """
        # HELP x_latency_seconds Latency
        # TYPE x_latency_seconds histogram
        x_latency_seconds_bucket{le="0.01"} 1.0
        x_latency_seconds_bucket{le="0.1"} 2.0
        x_latency_seconds_bucket{le="+Inf"} 3.0
        x_latency_seconds_count 3.0
        x_latency_seconds_sum 3.055
        # HELP x_reloads_total Reloads
        # TYPE x_reloads_total counter
        x_reloads_total{result="applied"} 2.0
        x_reloads_total{result="rejected"} 1.0
        # HELP x_target_pid Target
        # TYPE x_target_pid gauge
        x_target_pid 42.0
        """,
        registry.scrape());
    assertEquals(2.0, registry.value("x_reloads_total", "result", "applied"));
    assertEquals(3.0, registry.value("x_latency_seconds"));
  }

  @Test
  void theSameNameAndLabelsGiveTheSameMeterAndLabelValuesAreEscaped() {
    PrometheusRegistry registry = new PrometheusRegistry();
    assertSame(registry.counter("c", "C", "a", "1"), registry.counter("c", "C", "a", "1"));
    registry.counter("c", "C", "a", "say \"hi\"\n").increment();
    assertTrue(registry.scrape().contains("c_total{a=\"say \\\"hi\\\"\\n\"} 1.0"));
    assertThrows(IllegalArgumentException.class, () -> registry.gauge("c_total", "G", () -> 1));
    assertThrows(IllegalArgumentException.class, () -> registry.counter("d", "D", "odd"));
  }

  @Test
  void theProcessGaugesReportThisProcess() {
    PrometheusRegistry registry = PrometheusRegistry.withProcessMetrics();
    assertTrue(registry.value("process_resident_memory_bytes") > 1 << 20);
    assertTrue(registry.value("jvm_memory_used_bytes", "area", "heap") > 0);
  }
}
