package io.podreload.reloader;

import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.exceptions.ConfigurationException;
import io.podreload.reloader.pipeline.ReloadPipeline;
import io.podreload.reloader.pipeline.ReloaderMetrics;
import io.podreload.reloader.signal.ProcessTable;
import io.podreload.reloader.signal.SignalTrigger;
import io.podreload.reloader.source.ConfigSource;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import jnr.posix.POSIXFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the reloader together at start-up: checks and logs the settings, starts the sources named in
 * {@code RELOADER_SOURCES} (each puts its first content in place before this returns, so the HTTP
 * server, and with it readiness, comes up only then), and runs the one pipeline.
 */
@Context
public final class Reloader {

  private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

  private final ReloadPipeline pipeline;
  private final List<ConfigSource> started = new ArrayList<>();

  public Reloader(ReloaderSettings settings, List<ConfigSource> available, MeterRegistry registry)
      throws Exception {
    List<String> problems = settings.problems();
    if (!problems.isEmpty()) {
      throw new ConfigurationException(
          "the reloader's settings are not usable:\n  " + String.join("\n  ", problems));
    }
    LOG.info("settings: {}", settings);
    Map<String, ConfigSource> byName =
        available.stream().collect(Collectors.toMap(ConfigSource::name, Function.identity()));
    List<ConfigSource> sources = settings.sources().stream().map(byName::get).toList();
    long self = ProcessHandle.current().pid();
    SignalTrigger trigger =
        new SignalTrigger(
            settings,
            new ProcessTable(settings.procRoot()),
            SignalTrigger.Kill.posix(POSIXFactory.getNativePOSIX()),
            self);
    this.pipeline =
        new ReloadPipeline(
            settings, trigger, new ReloaderMetrics(registry), sources, Clock.systemUTC());
    pipeline.start();
    for (ConfigSource source : sources) {
      source.start(pipeline);
      started.add(source);
    }
  }

  /** Why config may be stale, if it may: a source's problem or a target missing too long. */
  public Optional<String> problem() {
    for (ConfigSource source : started) {
      Optional<String> problem = source.problem();
      if (problem.isPresent()) {
        return Optional.of(source.name() + ": " + problem.get());
      }
    }
    return pipeline.problem();
  }

  public ReloadPipeline pipeline() {
    return pipeline;
  }

  @PreDestroy
  void close() {
    started.forEach(ConfigSource::close);
    pipeline.close();
  }
}
