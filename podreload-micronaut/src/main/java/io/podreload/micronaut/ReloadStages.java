package io.podreload.micronaut;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where the time of a load attempt goes, stage by stage: the timer {@code app.reload.stage{stage}}
 * ({@code app_reload_stage_seconds_*} in Prometheus) and a debug line per attempt. The stages up to
 * {@code swap} are on the way from the signal to the new config served; {@code ack} writes the
 * status file; {@code environment} and {@code refresh-event} bring Micronaut's own view along after
 * that.
 */
final class ReloadStages {

  /** Every stage, in the order an attempt runs them. */
  static final List<String> NAMES =
      List.of(
          "wait", // from the signal to the start of the attempt (another one was running)
          "read", // the config dirs' files
          "parse", // parse and merge, skipping files that did not change
          "bind", // the host's @ConfigurationProperties types, bound and validated
          "validate", // the host's ConfigValidator beans
          "swap", // the candidate served
          "ack", // the status file written
          "environment", // Micronaut's property index updated
          "refresh-event"); // RefreshEvent published and handled (@Refreshable beans, logger

  // levels)

  /**
   * The loading thread's CPU time (what a stage costs whatever else runs on the machine) and bytes
   * allocated (garbage that a reload leaves costs collections later).
   */
  private static final com.sun.management.ThreadMXBean THREADS =
      ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
              && threads.isThreadAllocatedMemorySupported()
              && threads.isCurrentThreadCpuTimeSupported()
          ? threads
          : null;

  private final Map<String, Timer> timers = new LinkedHashMap<>();
  private final Map<String, Long> nanos = new LinkedHashMap<>();
  private final Map<String, Long> bytes = new LinkedHashMap<>();
  private final Map<String, Long> cpu = new LinkedHashMap<>();
  private long mark;
  private long allocatedMark;
  private long cpuMark;

  ReloadStages(MeterRegistry metrics) {
    for (String name : NAMES) {
      timers.put(
          name,
          Timer.builder("app.reload.stage")
              .tag("stage", name)
              .description("Time spent in each stage of a config load attempt")
              .register(metrics));
    }
  }

  /** A new attempt, asked for at {@code requestedAt} ({@link System#nanoTime()}). */
  void begin(long requestedAt) {
    nanos.clear();
    bytes.clear();
    cpu.clear();
    mark = requestedAt;
    allocatedMark = allocated();
    cpuMark = cpuTime();
    lap("wait");
  }

  /** Ends {@code stage}: the time since the previous stage ended. */
  void lap(String stage) {
    long now = System.nanoTime();
    long allocatedNow = allocated();
    long cpuNow = cpuTime();
    nanos.put(stage, now - mark);
    bytes.put(stage, allocatedNow - allocatedMark);
    cpu.put(stage, cpuNow - cpuMark);
    mark = now;
    allocatedMark = allocatedNow;
    cpuMark = cpuNow;
  }

  /** The calling thread's CPU time in nanoseconds; 0 where the JVM cannot tell. */
  static long cpuTime() {
    return THREADS == null ? 0 : THREADS.getCurrentThreadCpuTime();
  }

  private static long allocated() {
    return THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
  }

  /** Records a stage that runs apart from the attempts (on the environment's follower thread). */
  void record(String stage, long spentNanos) {
    timers.get(stage).record(Duration.ofNanos(spentNanos));
  }

  /** Records the stages this attempt ran in the timers (a rejected one stops early). */
  void record() {
    nanos.forEach((stage, spent) -> timers.get(stage).record(Duration.ofNanos(spent)));
  }

  /**
   * {@code wait 0.01 ms (cpu 0.00 ms, 0 KiB), read 0.52 ms (cpu 0.40 ms, 260 KiB), ...}: time, the
   * thread's CPU time and its allocation, for the log.
   */
  String summary() {
    StringJoiner line = new StringJoiner(", ");
    nanos.forEach(
        (stage, spent) ->
            line.add(
                String.format(
                    "%s %.2f ms (cpu %.2f ms, %d KiB)",
                    stage, spent / 1e6, cpu.get(stage) / 1e6, bytes.get(stage) / 1024)));
    return line.toString();
  }
}
