package io.podreload.reloader;

import io.micronaut.context.BeanProvider;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.exceptions.ConfigurationException;
import io.podreload.common.Health;
import io.podreload.common.Heartbeat;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.kubernetes.ConfigMapSource;
import io.podreload.reloader.pipeline.ReloadPipeline;
import io.podreload.reloader.pipeline.ReloaderMetrics;
import io.podreload.reloader.signal.ProcessTable;
import io.podreload.reloader.signal.SignalTrigger;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.VolumeSource;
import io.podreload.reloader.target.AppTarget;
import io.podreload.reloader.target.HttpTarget;
import io.podreload.reloader.target.SignalTarget;
import io.podreload.reloader.vault.VaultSource;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the reloader together: checks and logs the settings, starts the sources that are on ({@link
 * SourceSwitches}) (each puts its first content in place before {@link #start()} returns, so the
 * status server, and with it readiness, comes up only then), and runs the one pipeline. A source
 * that is not named is never created: its client (Kubernetes, Vault) is not even loaded.
 */
@Singleton
@Bean(preDestroy = "close")
public final class Reloader {

  private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

  private final ReloaderSettings settings;
  private final Map<String, BeanProvider<? extends ConfigSource>> available;
  private final PrometheusRegistry registry;
  private final List<ConfigSource> started = new ArrayList<>();
  private ReloadPipeline pipeline;

  public Reloader(
      ReloaderSettings settings,
      BeanProvider<VolumeSource> volume,
      BeanProvider<ConfigMapSource> configMap,
      BeanProvider<VaultSource> vault,
      PrometheusRegistry registry) {
    this.settings = settings;
    this.available =
        Map.of(VolumeSource.NAME, volume, ConfigMapSource.NAME, configMap, VaultSource.NAME, vault);
    this.registry = registry;
  }

  /** Starts the pipeline and the sources; throws when the settings are not usable. */
  public synchronized void start() throws Exception {
    SourceSwitches.Result switches = SourceSwitches.fromEnvironment();
    List<String> problems = new ArrayList<>(switches.problems());
    problems.addAll(settings.problems());
    if (!problems.isEmpty()) {
      throw new ConfigurationException(
          "the reloader's settings are not usable:\n  " + String.join("\n  ", problems));
    }
    LOG.info("sources: {}; settings: {}", switches.sources(), settings);
    List<ConfigSource> sources =
        switches.sources().stream().map(name -> (ConfigSource) available.get(name).get()).toList();
    pipeline =
        new ReloadPipeline(
            settings, target(settings), new ReloaderMetrics(registry), sources, Clock.systemUTC());
    pipeline.start();
    for (ConfigSource source : sources) {
      source.start(listenerFor(source, sources));
      started.add(source);
    }
  }

  /**
   * Where a source reports: the pipeline. With the API source on too, the volume's changes also go
   * to it first: when its watch has been failing too long, the volume's newer copy of the same
   * ConfigMap must win over the stale API copy ({@link ConfigMapSource#volumeChanged}).
   */
  private SnapshotListener listenerFor(ConfigSource source, List<ConfigSource> sources) {
    if (!(source instanceof VolumeSource)) {
      return pipeline;
    }
    for (ConfigSource other : sources) {
      if (other instanceof ConfigMapSource api) {
        return change -> {
          api.volumeChanged(change);
          pipeline.changed(change);
        };
      }
    }
    return pipeline;
  }

  /** The app as {@code RELOADER_TARGET} says to reload it. */
  static AppTarget target(ReloaderSettings settings) {
    if (ReloaderSettings.HTTP_TARGET.equals(settings.target())) {
      return new HttpTarget(settings);
    }
    return new SignalTarget(
        settings,
        new SignalTrigger(
            settings,
            new ProcessTable(settings.procRoot()),
            SignalTrigger.Kill.posix(),
            ProcessHandle.current().pid()));
  }

  /** Why config may be stale, if it may: a source's problem or a target missing too long. */
  public synchronized Optional<String> problem() {
    for (ConfigSource source : started) {
      Optional<String> problem = source.problem();
      if (problem.isPresent()) {
        return Optional.of(source.name() + ": " + problem.get());
      }
    }
    return pipeline == null ? Optional.of("starting") : pipeline.problem();
  }

  /**
   * {@code /health}: DOWN when config may be going stale unnoticed (a watch died, a source keeps
   * failing, the app has been missing too long); an edit that does not parse is shown but is not
   * DOWN: the app rightly keeps its last good config.
   */
  public synchronized Health health() {
    Map<String, Object> details = new LinkedHashMap<>();
    Optional<String> problem = problem();
    problem.ifPresent(p -> details.put("problem", p));
    if (pipeline != null) {
      pipeline.invalidConfig().ifPresent(p -> details.put("invalidConfig", p));
      pipeline.lastFailure().ifPresent(p -> details.put("lastFailure", p));
    }
    return new Health(problem.isEmpty(), details);
  }

  /**
   * {@code /health/liveness}: every worker thread beats (the pipeline's and each source's); one
   * that died or hangs makes it DOWN, and the kubelet restarts the reloader.
   */
  public synchronized Health liveness() {
    List<Heartbeat> heartbeats = new ArrayList<>();
    if (pipeline != null) {
      heartbeats.add(pipeline.heartbeat());
    }
    started.forEach(source -> heartbeats.addAll(source.heartbeats()));
    return Health.of(heartbeats);
  }

  public ReloadPipeline pipeline() {
    return pipeline;
  }

  synchronized void close() {
    started.forEach(ConfigSource::close);
    if (pipeline != null) {
      pipeline.close();
    }
  }
}
