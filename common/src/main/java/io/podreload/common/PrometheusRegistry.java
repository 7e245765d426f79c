package io.podreload.common;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * Counters, gauges and histograms rendered in the Prometheus text format (version 0.0.4). A sidecar
 * needs a dozen series; a metrics library and its registry cost more start-up time and memory than
 * the sidecar's own work, so this is all of it.
 *
 * <p>Names are given without unit or {@code _total} suffix handling: a counter named {@code
 * reloader_signals} is exported as {@code reloader_signals_total}. Labels are name/value pairs.
 * Registering the same name and labels again returns the existing meter.
 */
public final class PrometheusRegistry {

  /** Latency buckets in seconds, from 1 ms to 60 s. */
  public static final double[] LATENCY_BUCKETS = {
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60
  };

  private final Map<String, Family> families = new ConcurrentHashMap<>();

  /**
   * A registry with the process's own gauges: resident memory (what a memory limit counts), heap in
   * use and start time.
   */
  public static PrometheusRegistry withProcessMetrics() {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.gauge(
        "process_resident_memory_bytes",
        "Resident set size (VmRSS), what a container memory limit counts",
        PrometheusRegistry::residentBytes);
    Runtime runtime = Runtime.getRuntime();
    registry.gauge(
        "jvm_memory_used_bytes",
        "Java heap in use",
        () -> runtime.totalMemory() - runtime.freeMemory(),
        "area",
        "heap");
    double started =
        ProcessHandle.current()
            .info()
            .startInstant()
            .map(i -> i.toEpochMilli() / 1e3)
            .orElse(Double.NaN);
    registry.gauge(
        "process_start_time_seconds", "Start time, seconds since the epoch", () -> started);
    return registry;
  }

  private static double residentBytes() {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or /proc not mounted: reported as NaN
    }
    return Double.NaN;
  }

  /** A counter {@code name_total} with the given labels. */
  public Counter counter(String name, String help, String... labels) {
    return (Counter) family(name + "_total", help, "counter").series(labels, Counter::new);
  }

  /** A gauge read from {@code value} at every scrape. */
  public void gauge(String name, String help, DoubleSupplier value, String... labels) {
    family(name, help, "gauge").series(labels, () -> new Gauge(value));
  }

  /** A histogram with cumulative {@code buckets} (upper bounds, ascending). */
  public Histogram histogram(String name, String help, double[] buckets, String... labels) {
    return (Histogram)
        family(name, help, "histogram").series(labels, () -> new Histogram(buckets.clone()));
  }

  /** The current value of a counter or gauge, or a histogram's count; 0 when not registered. */
  public double value(String exportedName, String... labels) {
    Family family = families.get(exportedName);
    Meter meter = family == null ? null : family.series.get(labelText(labels));
    if (meter instanceof Counter c) {
      return c.value();
    }
    if (meter instanceof Gauge g) {
      return g.value.getAsDouble();
    }
    if (meter instanceof Histogram h) {
      return h.count();
    }
    return 0;
  }

  /** True when nothing was registered yet. */
  public boolean isEmpty() {
    return families.isEmpty();
  }

  /** Every series, in the text format, families in name order. */
  public String scrape() {
    StringBuilder out = new StringBuilder(4096);
    families.values().stream()
        .sorted((a, b) -> a.name.compareTo(b.name))
        .forEach(family -> family.render(out));
    return out.toString();
  }

  private Family family(String name, String help, String type) {
    Family family = families.computeIfAbsent(name, n -> new Family(n, help, type));
    if (!family.type.equals(type)) {
      throw new IllegalArgumentException(name + " is already a " + family.type);
    }
    return family;
  }

  private static String labelText(String[] labels) {
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs: " + List.of(labels));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      sb.append(sb.length() == 0 ? "" : ",").append(labels[i]).append("=\"");
      escape(labels[i + 1], sb);
      sb.append('"');
    }
    return sb.toString();
  }

  private static void escape(String value, StringBuilder sb) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
  }

  private static String number(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "+Inf" : "-Inf";
    }
    return Double.toString(value);
  }

  private sealed interface Meter permits Counter, Gauge, Histogram {}

  /** Only goes up. */
  public static final class Counter implements Meter {
    private final DoubleAdder value = new DoubleAdder();

    public void increment() {
      value.add(1);
    }

    public void increment(double amount) {
      if (amount < 0) {
        throw new IllegalArgumentException("a counter only goes up: " + amount);
      }
      value.add(amount);
    }

    public double value() {
      return value.sum();
    }
  }

  private record Gauge(DoubleSupplier value) implements Meter {}

  /** Observations counted into cumulative buckets, with their sum and count. */
  public static final class Histogram implements Meter {
    private final double[] bounds;
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    private Histogram(double[] bounds) {
      for (int i = 1; i < bounds.length; i++) {
        if (bounds[i] <= bounds[i - 1]) {
          throw new IllegalArgumentException("buckets must ascend: " + Arrays.toString(bounds));
        }
      }
      this.bounds = bounds;
      this.counts = new LongAdder[bounds.length];
      Arrays.setAll(counts, i -> new LongAdder());
    }

    public void observe(double value) {
      for (int i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          counts[i].increment();
          break;
        }
      }
      sum.add(value);
      count.increment();
    }

    public long count() {
      return count.sum();
    }

    public double sum() {
      return sum.sum();
    }
  }

  private static final class Family {
    final String name;
    final String help;
    final String type;
    final Map<String, Meter> series = new ConcurrentHashMap<>();

    Family(String name, String help, String type) {
      this.name = name;
      this.help = Objects.requireNonNull(help);
      this.type = type;
    }

    Meter series(String[] labels, java.util.function.Supplier<Meter> create) {
      return series.computeIfAbsent(labelText(labels), k -> create.get());
    }

    void render(StringBuilder out) {
      out.append("# HELP ").append(name).append(' ').append(help.replace("\n", " ")).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
      List<String> keys = new ArrayList<>(series.keySet());
      keys.sort(null);
      for (String labels : keys) {
        Meter meter = series.get(labels);
        if (meter instanceof Counter c) {
          sample(out, name, labels, null, c.value());
        } else if (meter instanceof Gauge g) {
          sample(out, name, labels, null, g.value.getAsDouble());
        } else if (meter instanceof Histogram h) {
          long cumulative = 0;
          for (int i = 0; i < h.bounds.length; i++) {
            cumulative += h.counts[i].sum();
            sample(out, name + "_bucket", labels, number(h.bounds[i]), cumulative);
          }
          sample(out, name + "_bucket", labels, "+Inf", h.count());
          sample(out, name + "_count", labels, null, h.count());
          sample(out, name + "_sum", labels, null, h.sum());
        }
      }
    }

    private static void sample(
        StringBuilder out, String name, String labels, String le, double value) {
      out.append(name);
      if (!labels.isEmpty() || le != null) {
        out.append('{').append(labels);
        if (le != null) {
          out.append(labels.isEmpty() ? "" : ",").append("le=\"").append(le).append('"');
        }
        out.append('}');
      }
      out.append(' ').append(number(value)).append('\n');
    }
  }
}
