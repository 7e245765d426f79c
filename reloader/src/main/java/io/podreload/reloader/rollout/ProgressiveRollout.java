package io.podreload.reloader.rollout;

import io.kubernetes.client.openapi.ApiClient;
import io.podreload.common.Heartbeat;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.AppTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RELOADER_ROLLOUT=progressive} put together: the ConfigMap source's content is offered here
 * as a version (never rendered for the app directly), and this pod's {@link RolloutRunner} serves
 * what the coordination objects allow it through a {@link RenderDirTarget}. Metrics: {@code
 * reloader_rollout_phase} (1 for the phase the state shows) and {@code
 * reloader_rollout_rollbacks_total} (rollbacks this pod recorded).
 */
public final class ProgressiveRollout implements SnapshotListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProgressiveRollout.class);
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

  /** Versions kept besides the rendered one: the promoted, the one rolling out, and spares. */
  private static final int KEEP = 4;

  private final String pod;
  private final String configMap;
  private final ApprovedContent approved;
  private final RenderDirTarget target;
  private final KubernetesCoordinationStore store;
  private final RolloutRunner runner;
  private final Heartbeat heartbeat;

  /**
   * @param client the API client (its read timeout is raised above {@code watchTimeout})
   * @param configMap the app's ConfigMap: the coordination objects are named after it
   */
  public ProgressiveRollout(
      RolloutSettings settings,
      String pod,
      ApiClient client,
      String namespace,
      String configMap,
      Duration watchTimeout,
      Path renderDir,
      AppTarget app,
      Duration confirmTimeout,
      PrometheusRegistry registry)
      throws IOException {
    this.pod = pod;
    this.configMap = configMap;
    Clock clock = Clock.systemUTC();
    this.approved = new ApprovedContent(renderDir, KEEP);
    this.target =
        new RenderDirTarget(
            approved,
            renderDir,
            app,
            new PrometheusHealthProbe(settings.appUri(), HEALTH_TIMEOUT),
            confirmTimeout,
            clock);
    target.adopt(renderDir);
    ApiClient watching =
        client.setHttpClient(
            client.getHttpClient().newBuilder().readTimeout(watchTimeout.plusSeconds(30)).build());
    RolloutRunner[] poke = new RolloutRunner[1];
    this.store =
        new KubernetesCoordinationStore(
            watching, namespace, configMap, pod, watchTimeout, () -> poke[0].poke());
    PrometheusRegistry.Counter rollbacks =
        registry.counter("reloader_rollout_rollbacks", "Rollbacks this pod recorded as holder");
    RolloutAgent agent =
        new RolloutAgent(
            new RolloutNode(pod, settings.policy(), clock),
            new Counted(store, rollbacks),
            target,
            clock);
    this.runner = new RolloutRunner(agent, clock);
    poke[0] = runner;
    this.heartbeat = runner.heartbeat();
    for (Phase phase : Phase.values()) {
      registry.gauge(
          "reloader_rollout_phase",
          "1 for the phase of the rollout the coordination object shows",
          () -> store.state().started() && store.state().phase() == phase ? 1 : 0,
          "phase",
          phase.wire());
    }
  }

  /** A new content of the ConfigMap: a version the rollout may serve. */
  @Override
  public void changed(SourceChange change) {
    String version = approved.offer(change.snapshot());
    LOG.info("the ConfigMap offers version {} ({})", version, change.revision());
    runner.poke();
  }

  /** Reads the rollout state, starts watching it, and starts deciding. */
  public void start() {
    store.start();
    runner.start();
    LOG.info(
        "progressive rollout: pod {} serves what {} allows it",
        pod,
        KubernetesCoordinationStore.stateName(configMap));
  }

  /** For {@code /health}: this pod's rollout, as the state and the app show it. */
  public Map<String, Object> details() {
    RolloutState state = store.state();
    Map<String, Object> details = new java.util.LinkedHashMap<>();
    details.put("phase", state.started() ? state.phase().wire() : "none");
    Optional.ofNullable(state.version()).ifPresent(v -> details.put("version", v));
    Optional.ofNullable(target.serving()).ifPresent(v -> details.put("serving", v));
    Optional.ofNullable(approved.offered()).ifPresent(v -> details.put("offered", v));
    return details;
  }

  /** The rollout thread's sign of life, for {@code /health/liveness}. */
  public Heartbeat heartbeat() {
    return heartbeat;
  }

  @Override
  public void close() {
    runner.close();
    store.close();
  }

  /** The store, counting the rollbacks this pod recorded. */
  private record Counted(CoordinationStore store, PrometheusRegistry.Counter rollbacks)
      implements CoordinationStore {
    @Override
    public RolloutState state() {
      return store.state();
    }

    @Override
    public RolloutState fresh() {
      return store.fresh();
    }

    @Override
    public Map<String, PodRecord> records() {
      return store.records();
    }

    @Override
    public void writeRecord(String pod, PodRecord record) {
      store.writeRecord(pod, record);
    }

    @Override
    public boolean replaceState(RolloutState next) {
      return store.replaceState(next);
    }

    @Override
    public void pruneRecords(Collection<String> pods) {
      store.pruneRecords(pods);
    }

    @Override
    public void event(Action.Event event) {
      if ("RolledBack".equals(event.reason())) {
        rollbacks.increment();
      }
      store.event(event);
    }
  }
}
