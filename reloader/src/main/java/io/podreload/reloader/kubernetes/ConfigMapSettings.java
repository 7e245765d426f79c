package io.podreload.reloader.kubernetes;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The ConfigMap source's settings ({@code RELOADER_CONFIGMAP_*} bind here by name; {@code
 * RELOADER_RENDER_DIR} is mapped in application.yml). The API server is micronaut-kubernetes'
 * {@code kubernetes.client.*}: in a pod its service account, else {@code
 * KUBERNETES_CLIENT_BASE_PATH}.
 *
 * @param name {@code RELOADER_CONFIGMAP_NAME}: the ConfigMap watched
 * @param namespace {@code RELOADER_CONFIGMAP_NAMESPACE}: its namespace; default: the pod's
 * @param namespaceFile where the pod's namespace is read when none is set
 * @param renderDir {@code RELOADER_RENDER_DIR}: where its keys are written, kubelet layout
 * @param watchTimeout {@code RELOADER_CONFIGMAP_WATCH_TIMEOUT}: a watch is renewed this often; one
 *     that sends nothing (not even a bookmark) for this long plus a margin is taken as stalled
 * @param backoffMax {@code RELOADER_CONFIGMAP_BACKOFF_MAX}: longest wait between reconnections
 * @param degradedAfter {@code RELOADER_CONFIGMAP_DEGRADED_AFTER}: a watch failing for longer than
 *     this makes {@code /health} fail
 * @param startTimeout {@code RELOADER_CONFIGMAP_START_TIMEOUT}: how long start-up retries the first
 *     list before giving up
 * @param volumeDir {@code RELOADER_CONFIGMAP_VOLUME_DIR}: where the same ConfigMap is mounted as a
 *     volume; its newer content is rendered when the watch has been failing for longer than
 *     degraded-after
 */
@ConfigurationProperties("reloader.configmap")
public record ConfigMapSettings(
    @Bindable(defaultValue = "app-config") String name,
    @Nullable String namespace,
    @Bindable(defaultValue = "/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        Path namespaceFile,
    @Bindable(defaultValue = "/run/app/config") Path renderDir,
    @Bindable(defaultValue = "5m") Duration watchTimeout,
    @Bindable(defaultValue = "30s") Duration backoffMax,
    @Bindable(defaultValue = "60s") Duration degradedAfter,
    @Bindable(defaultValue = "30s") Duration startTimeout,
    @Nullable String podName,
    @Nullable String podNamespace,
    @Bindable(defaultValue = "/etc/app/config") Path volumeDir) {

  /** The same settings, rendering into {@code dir} (progressive rollout's private dir). */
  public ConfigMapSettings withRenderDir(Path dir) {
    return new ConfigMapSettings(
        name,
        namespace,
        namespaceFile,
        dir,
        watchTimeout,
        backoffMax,
        degradedAfter,
        startTimeout,
        podName,
        podNamespace,
        volumeDir);
  }
}
