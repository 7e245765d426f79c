package io.podreload.reloader.source;

import io.podreload.common.Heartbeat;
import java.util.List;
import java.util.Optional;

/**
 * Where configuration comes from: a watched volume, the ConfigMap through the Kubernetes API, or a
 * Vault secret. Each source keeps one directory in the kubelet's layout current and reports every
 * new content of it; the reload pipeline (validate, signal, confirm) is the same for all of them.
 *
 * <p>Implementations are singletons that do nothing in their constructor: the pipeline starts only
 * the sources named in {@code RELOADER_SOURCES}.
 */
public interface ConfigSource extends AutoCloseable {

  /**
   * {@code volume}, {@code configmap} or {@code vault}: the name used in settings, logs, metrics.
   */
  String name();

  /**
   * Puts the current content in place (renders it, for sources that render), reports it once, then
   * keeps reporting changes to {@code listener} from its own thread. Returns when the first content
   * is in place, so that readiness can wait for it; throws when that is impossible, with a message
   * that says what to fix.
   */
  void start(SnapshotListener listener) throws Exception;

  /** Empty when healthy; otherwise why the source may be stale (watch died, server unreachable). */
  Optional<String> problem();

  /** The signs of life of the source's threads, for {@code /health/liveness}. */
  default List<Heartbeat> heartbeats() {
    return List.of();
  }

  /** Told the outcome of every reload this source caused (Kubernetes Events use it). */
  default void reloaded(SourceChange change, ReloadOutcome outcome) {}

  @Override
  void close();
}
