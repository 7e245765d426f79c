package io.podreload.reloader.kubernetes;

import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V1Status;
import io.kubernetes.client.util.Watch;
import io.micronaut.context.BeanProvider;
import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ConfigMap through the Kubernetes API: a reload in well under a second instead of the
 * kubelet's 60-90 s. Lists and watches the one ConfigMap with a field selector on its name (so a
 * Role limited by {@code resourceNames} is enough), tracks the resourceVersion, takes bookmarks,
 * lists again on 410 Gone, reconnects with backoff and jitter, and renders {@code data} and {@code
 * binaryData} into the render dir in the kubelet's layout. A deleted ConfigMap leaves the last
 * rendered config in place. Outcomes become Kubernetes Events on the pod when allowed.
 */
@Singleton
public final class ConfigMapSource implements ConfigSource {

  public static final String NAME = "configmap";
  private static final Logger LOG = LoggerFactory.getLogger(ConfigMapSource.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

  private final ConfigMapSettings settings;
  private final BeanProvider<ApiClient> clients;
  private final PrometheusRegistry registry;

  private ApiClient client;
  private CoreV1Api api;
  private String namespace;
  private SnapshotListener listener;
  private Thread thread;
  private PrometheusRegistry.Histogram propagationLag;
  private String resourceVersion = "";
  private String renderedHash;
  private volatile boolean closed;
  private volatile Instant failingSince;
  private volatile String failure;
  private volatile boolean eventsForbidden;

  public ConfigMapSource(
      ConfigMapSettings settings, BeanProvider<ApiClient> clients, PrometheusRegistry registry) {
    this.settings = settings;
    this.clients = clients;
    this.registry = registry;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public synchronized void start(SnapshotListener listener) throws Exception {
    this.listener = listener;
    this.namespace = namespace();
    ApiClient configured = clients.get();
    // A watch waits for events: reads may take as long as the watch lasts, plus a margin.
    this.client =
        configured.setHttpClient(
            configured
                .getHttpClient()
                .newBuilder()
                .readTimeout(
                    settings.watchTimeout().plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS)
                .build());
    this.api = new CoreV1Api(client);
    this.propagationLag =
        registry.histogram(
            "reloader_propagation_lag_seconds",
            "From a ConfigMap update seen through the API to the app's acknowledgement",
            PrometheusRegistry.LATENCY_BUCKETS);
    LOG.info(
        "watching ConfigMap {}/{} through {} (rendered into {})",
        namespace,
        settings.name(),
        client.getBasePath(),
        settings.renderDir());
    Instant deadline = Instant.now().plus(settings.startTimeout());
    Duration backoff = FIRST_BACKOFF;
    while (true) {
      try {
        list();
        break;
      } catch (ApiException e) {
        String message = describe(e, "list");
        if (e.getCode() == 403 || Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("the ConfigMap source cannot start: " + message);
        }
        LOG.warn("{}; retrying", message);
        Thread.sleep(jittered(backoff).toMillis());
        backoff = min(backoff.multipliedBy(2), settings.backoffMax());
      }
    }
    thread = new Thread(this::watchLoop, "configmap-watch");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public Optional<String> problem() {
    Instant since = failingSince;
    if (since != null && since.plus(settings.degradedAfter()).isBefore(Instant.now())) {
      return Optional.of(
          "the watch of ConfigMap "
              + namespace
              + "/"
              + settings.name()
              + " has failed since "
              + since
              + ": "
              + failure
              + "; the config may be stale");
    }
    return Optional.empty();
  }

  @Override
  public void reloaded(SourceChange change, ReloadOutcome outcome) {
    if (!NAME.equals(change.source())) {
      return;
    }
    if (outcome.result() == ReloadOutcome.Result.APPLIED) {
      propagationLag.observe(Duration.between(change.seenAt(), Instant.now()).toNanos() / 1e9);
    }
    String reason =
        switch (outcome.result()) {
          case APPLIED -> "ConfigReloaded";
          case REJECTED, INVALID -> "ConfigRejected";
          case SIGNAL_FAILED -> "SignalFailed";
        };
    String message =
        "ConfigMap "
            + settings.name()
            + " resourceVersion "
            + change.revision()
            + (outcome.message() == null ? "" : ": " + outcome.message());
    postEvent(
        reason, outcome.result() == ReloadOutcome.Result.APPLIED ? "Normal" : "Warning", message);
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
  }

  private void list() throws ApiException {
    V1ConfigMapList list =
        api.listNamespacedConfigMap(namespace).fieldSelector(selector()).execute();
    resourceVersion = list.getMetadata().getResourceVersion();
    if (list.getItems().isEmpty()) {
      LOG.warn(
          "ConfigMap {}/{} does not exist; keeping what is rendered in {} until it does",
          namespace,
          settings.name(),
          settings.renderDir());
      registry
          .counter("reloader_api_configmap_missing", "Starts and relists that found no ConfigMap")
          .increment();
    } else {
      render(list.getItems().get(0), Instant.now());
    }
  }

  private void watchLoop() {
    Duration backoff = FIRST_BACKOFF;
    while (!closed) {
      try {
        watchOnce();
        backoff = FIRST_BACKOFF; // a watch that ended normally (its timeout): renew at once
      } catch (ApiException e) {
        if (e.getCode() == 410) {
          relist();
          continue;
        }
        failed("api_" + e.getCode(), describe(e, "watch"));
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String reason = cause instanceof java.net.SocketTimeoutException ? "stalled" : "connection";
        failed(reason, "the watch failed: " + cause);
      } catch (IOException e) {
        failed("connection", "the watch failed: " + e);
      }
      if (closed) {
        return;
      }
      registry
          .counter("reloader_api_watch_restarts", "Watches opened again after they ended")
          .increment();
      try {
        Thread.sleep(jittered(backoff).toMillis());
      } catch (InterruptedException e) {
        return;
      }
      backoff = min(backoff.multipliedBy(2), settings.backoffMax());
    }
  }

  private void watchOnce() throws ApiException, IOException {
    var call =
        api.listNamespacedConfigMap(namespace)
            .fieldSelector(selector())
            .resourceVersion(resourceVersion)
            .allowWatchBookmarks(true)
            .watch(true)
            .timeoutSeconds((int) settings.watchTimeout().toSeconds())
            .buildCall(null);
    try (Watch<V1ConfigMap> watch =
        Watch.createWatch(
            client, call, new TypeToken<Watch.Response<V1ConfigMap>>() {}.getType())) {
      recovered();
      for (Watch.Response<V1ConfigMap> event : watch) {
        if (closed) {
          return;
        }
        Instant seenAt = Instant.now();
        switch (event.type) {
          case "ADDED", "MODIFIED" -> {
            resourceVersion = event.object.getMetadata().getResourceVersion();
            render(event.object, seenAt);
          }
          case "DELETED" -> {
            resourceVersion = event.object.getMetadata().getResourceVersion();
            LOG.warn(
                "ConfigMap {}/{} was deleted; the app keeps the config last rendered in {}",
                namespace,
                settings.name(),
                settings.renderDir());
            registry
                .counter(
                    "reloader_api_configmap_deleted",
                    "Deletions of the ConfigMap seen (the last render stays)")
                .increment();
          }
          case "BOOKMARK" -> resourceVersion = event.object.getMetadata().getResourceVersion();
          case "ERROR" -> {
            V1Status status = event.status;
            int code = status == null || status.getCode() == null ? 500 : status.getCode();
            throw new ApiException(code, status == null ? "watch error" : status.getMessage());
          }
          default -> LOG.debug("ignoring watch event {}", event.type);
        }
      }
    }
  }

  private void relist() {
    LOG.info("resourceVersion {} is too old (410 Gone); listing again", resourceVersion);
    registry.counter("reloader_api_watch_relists", "Lists made again after 410 Gone").increment();
    try {
      list();
    } catch (ApiException e) {
      failed("api_" + e.getCode(), describe(e, "list"));
    }
  }

  private void render(V1ConfigMap configMap, Instant seenAt) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (configMap.getData() != null) {
      configMap.getData().forEach((k, v) -> files.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    if (configMap.getBinaryData() != null) {
      files.putAll(configMap.getBinaryData());
    }
    try {
      KubeletVolume.write(
          settings.renderDir(), files, PosixFilePermissions.fromString("rw-r--r--"));
      DirSnapshot snapshot = KubeletVolume.read(settings.renderDir());
      if (snapshot.hash().equals(renderedHash)) {
        return; // e.g. a label changed: nothing for the app
      }
      renderedHash = snapshot.hash();
      listener.changed(
          new SourceChange(NAME, snapshot, seenAt, configMap.getMetadata().getResourceVersion()));
    } catch (IOException e) {
      failed(
          "render",
          "cannot render into "
              + settings.renderDir()
              + ": "
              + e
              + " (it must be a writable dir the app reads, e.g. an emptyDir at /run/app)");
    }
  }

  private void failed(String reason, String message) {
    registry
        .counter(
            "reloader_api_watch_errors", "Failed lists and watches, by reason", "reason", reason)
        .increment();
    if (failingSince == null) {
      failingSince = Instant.now();
    }
    if (!message.equals(failure)) {
      LOG.warn(message);
    }
    failure = message;
  }

  private void recovered() {
    if (failingSince != null) {
      LOG.info("the watch of ConfigMap {}/{} works again", namespace, settings.name());
    }
    failingSince = null;
    failure = null;
  }

  private void postEvent(String reason, String type, String message) {
    String podName = settings.podName();
    String podNamespace =
        settings.podNamespace() == null || settings.podNamespace().isBlank()
            ? namespace
            : settings.podNamespace();
    if (podName == null || podName.isBlank() || eventsForbidden || api == null) {
      return;
    }
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    CoreV1Event event =
        new CoreV1Event()
            .metadata(new V1ObjectMeta().generateName(podName + ".").namespace(podNamespace))
            .involvedObject(
                new V1ObjectReference()
                    .kind("Pod")
                    .name(podName)
                    .namespace(podNamespace)
                    .apiVersion("v1"))
            .reason(reason)
            .message(message)
            .type(type)
            .firstTimestamp(now)
            .lastTimestamp(now)
            .count(1)
            .reportingComponent("podreload-reloader")
            .source(new io.kubernetes.client.openapi.models.V1EventSource().component("reloader"));
    try {
      api.createNamespacedEvent(podNamespace, event).execute();
    } catch (ApiException e) {
      if (e.getCode() == 403) {
        eventsForbidden = true;
        LOG.info(
            "not allowed to create Events in {} (403); carrying on without them. To see reloads in"
                + " `kubectl describe pod`, allow create on events in the reloader's Role",
            podNamespace);
      } else {
        LOG.debug("could not create an Event: {}", describe(e, "create event"));
      }
    }
  }

  private String namespace() throws IOException {
    if (settings.namespace() != null && !settings.namespace().isBlank()) {
      return settings.namespace().trim();
    }
    if (Files.isReadable(settings.namespaceFile())) {
      return Files.readString(settings.namespaceFile()).trim();
    }
    throw new IllegalStateException(
        "the ConfigMap source needs a namespace: set RELOADER_CONFIGMAP_NAMESPACE, or mount the"
            + " service-account namespace file at "
            + settings.namespaceFile());
  }

  private String selector() {
    return "metadata.name=" + settings.name();
  }

  private String describe(ApiException e, String verb) {
    if (e.getCode() == 403) {
      return "403 Forbidden: the reloader's service account may not "
          + verb
          + " ConfigMap "
          + namespace
          + "/"
          + settings.name()
          + "; grant a Role with get, list, watch on configmaps, resourceNames ["
          + settings.name()
          + "] (kustomize/components/api-watch)";
    }
    if (e.getCode() == 0) {
      return "the API server " + client.getBasePath() + " is unreachable: " + e.getMessage();
    }
    return "the API server answered " + e.getCode() + " to " + verb + ": " + e.getMessage();
  }

  private static Duration jittered(Duration base) {
    return Duration.ofMillis(
        (long) (base.toMillis() * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
