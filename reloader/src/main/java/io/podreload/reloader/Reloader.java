package io.podreload.reloader;

import io.kubernetes.client.openapi.ApiClient;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.exceptions.ConfigurationException;
import io.podreload.common.DirSnapshot;
import io.podreload.common.Health;
import io.podreload.common.Heartbeat;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.kubernetes.ConfigMapSettings;
import io.podreload.reloader.kubernetes.ConfigMapSource;
import io.podreload.reloader.pipeline.ReloadPipeline;
import io.podreload.reloader.pipeline.ReloaderMetrics;
import io.podreload.reloader.rollout.ProgressiveRollout;
import io.podreload.reloader.rollout.RolloutSettings;
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
import java.nio.file.Files;
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
  private final Progressive progressive;
  private final List<ConfigSource> started = new ArrayList<>();
  private ReloadPipeline pipeline;
  private ProgressiveRollout rollout;

  /** What {@code RELOADER_ROLLOUT=progressive} needs besides the sources. */
  private record Progressive(
      RolloutSettings settings, ConfigMapSettings configMap, BeanProvider<ApiClient> clients) {}

  public Reloader(
      ReloaderSettings settings,
      BeanProvider<VolumeSource> volume,
      BeanProvider<ConfigMapSource> configMap,
      BeanProvider<VaultSource> vault,
      PrometheusRegistry registry,
      RolloutSettings rollout,
      ConfigMapSettings configMapSettings,
      BeanProvider<ApiClient> clients) {
    this.settings = settings;
    this.progressive = new Progressive(rollout, configMapSettings, clients);
    this.available =
        Map.of(VolumeSource.NAME, volume, ConfigMapSource.NAME, configMap, VaultSource.NAME, vault);
    this.registry = registry;
  }

  /** Starts the pipeline and the sources; throws when the settings are not usable. */
  public synchronized void start() throws Exception {
    SourceSwitches.Result switches = SourceSwitches.fromEnvironment();
    List<String> problems = new ArrayList<>(switches.problems());
    problems.addAll(settings.problems());
    problems.addAll(
        progressive.settings().problems(switches.sources(), progressive.configMap().podName()));
    if (!problems.isEmpty()) {
      throw new ConfigurationException(
          "the reloader's settings are not usable:\n  " + String.join("\n  ", problems));
    }
    LOG.info("sources: {}; settings: {}", switches.sources(), settings);
    List<ConfigSource> sources = new ArrayList<>();
    for (String name : switches.sources()) {
      sources.add(source(name));
    }
    pipeline =
        new ReloadPipeline(
            settings, target(settings), new ReloaderMetrics(registry), sources, Clock.systemUTC());
    pipeline.start();
    for (ConfigSource source : sources) {
      source.start(listenerFor(source, sources));
      started.add(source);
    }
    pipeline.sourcesStarted();
    if (rollout != null) {
      rollout.start();
    }
  }

  /**
   * The named source. Under progressive rollout the ConfigMap source renders into a dir of the
   * reloader's own that the app never reads, and its content goes to the rollout, which alone
   * writes the app's render dir.
   */
  private ConfigSource source(String name) throws java.io.IOException {
    if (!ConfigMapSource.NAME.equals(name) || !progressive.settings().progressive()) {
      return available.get(name).get();
    }
    ConfigMapSettings api = progressive.configMap();
    ConfigMapSource source =
        new ConfigMapSource(
            api.withRenderDir(Files.createTempDirectory("podreload-rollout-source")),
            progressive.clients(),
            registry);
    rollout =
        new ProgressiveRollout(
            progressive.settings(),
            api.podName().trim(),
            progressive.clients().get(),
            source.namespace(),
            api.name(),
            api.watchTimeout(),
            api.renderDir(),
            target(settings),
            settings.confirmTimeout(),
            registry);
    return source;
  }

  /**
   * Where a source reports: the pipeline, or the rollout for the ConfigMap under progressive
   * rollout. With the API source on too, the volume's changes also go to it first: when its watch
   * has been failing too long, the volume's newer copy of the same ConfigMap must win over the
   * stale API copy ({@link ConfigMapSource#volumeChanged}).
   */
  private SnapshotListener listenerFor(ConfigSource source, List<ConfigSource> sources) {
    if (rollout != null && source instanceof ConfigMapSource) {
      return rollout;
    }
    if (!(source instanceof VolumeSource)) {
      return pipeline;
    }
    for (ConfigSource other : sources) {
      if (other instanceof ConfigMapSource api) {
        // Under progressive rollout the ConfigMap's volume is only the fallback copy: the app
        // does not read it, so the pipeline must not reload the app for it.
        String rolledOut =
            rollout == null ? null : DirSnapshot.keyOf(progressive.configMap().volumeDir());
        return change -> {
          api.volumeChanged(change);
          if (!change.snapshot().key().equals(rolledOut)) {
            pipeline.changed(change);
          }
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
    if (rollout != null) {
      details.put("rollout", rollout.details());
    }
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
    if (rollout != null) {
      heartbeats.add(rollout.heartbeat());
    }
    return Health.of(heartbeats);
  }

  /** Once the reloader answers: compiles the signal path off it (see the pipeline). */
  public synchronized void warmUp() {
    if (pipeline != null) {
      pipeline.warmUp();
    }
  }

  public ReloadPipeline pipeline() {
    return pipeline;
  }

  synchronized void close() {
    if (rollout != null) {
      rollout.close();
    }
    started.forEach(ConfigSource::close);
    if (pipeline != null) {
      pipeline.close();
    }
  }
}
