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
import io.podreload.common.Backoff;
import io.podreload.common.DirSnapshot;
import io.podreload.common.Heartbeat;
import io.podreload.common.KubeletVolume;
import io.podreload.common.PrometheusRegistry;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.source.SourceLoop;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  /** The revision of content rendered from the volume's copy while the watch failed. */
  static final String VOLUME_COPY = "from the volume";

  private final ConfigMapSettings settings;
  private final BeanProvider<ApiClient> clients;
  private final PrometheusRegistry registry;

  private ApiClient client;
  private CoreV1Api api;
  private String namespace;
  private volatile SnapshotListener listener;
  private PrometheusRegistry.Histogram propagationLag;
  private String resourceVersion = "";
  private volatile String renderedHash;
  private final java.util.Set<String> skippedKeys =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  private final SourceLoop loop;

  /** Events are posted here, off the reconcile thread; a full queue drops the newest. */
  private final java.util.concurrent.ThreadPoolExecutor events =
      new java.util.concurrent.ThreadPoolExecutor(
          1,
          1,
          30,
          TimeUnit.SECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(64),
          r -> {
            Thread t = new Thread(r, "configmap-events");
            t.setDaemon(true);
            return t;
          },
          new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());

  /** How long posting one Event may take. */
  static final Duration EVENT_TIMEOUT = Duration.ofSeconds(5);

  private volatile boolean eventsForbidden;

  public ConfigMapSource(
      ConfigMapSettings settings, BeanProvider<ApiClient> clients, PrometheusRegistry registry) {
    this.settings = settings;
    this.clients = clients;
    this.registry = registry;
    // A watch is silent for at most its timeout (and the read timeout's margin), then reconnects.
    this.loop =
        new SourceLoop(
            "configmap-watch",
            settings.watchTimeout().plus(settings.backoffMax()).plusSeconds(90),
            backoff(),
            settings.degradedAfter(),
            java.time.Clock.systemUTC());
    events.allowCoreThreadTimeOut(true);
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
    Backoff backoff = backoff();
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
        Thread.sleep(backoff.next().toMillis());
      }
    }
    loop.start(this::watchRound);
  }

  private Backoff backoff() {
    return new Backoff(FIRST_BACKOFF, max(FIRST_BACKOFF, settings.backoffMax()));
  }

  @Override
  public Optional<String> problem() {
    return loop.problem()
        .map(
            p ->
                "the watch of ConfigMap "
                    + namespace
                    + "/"
                    + settings.name()
                    + " is "
                    + p
                    + "; the config may be stale");
  }

  @Override
  public List<Heartbeat> heartbeats() {
    return List.of(loop.heartbeat());
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
    String type = outcome.result() == ReloadOutcome.Result.APPLIED ? "Normal" : "Warning";
    // Off the reconcile thread: a slow API server must not hold up the next reload.
    events.execute(() -> postEvent(reason, type, message));
  }

  /** Waits until the Events queued so far are posted or given up (tests). */
  void awaitEvents() throws Exception {
    events.submit(() -> {}).get(EVENT_TIMEOUT.toSeconds() * 4, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    closed = true;
    events.shutdownNow();
    loop.close();
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

  /**
   * One round of the watch thread: a watch until it ends, and the wait before the next one (none
   * after a watch that worked; the backoff after a failure).
   */
  private Duration watchRound() {
    try {
      if (watchOnce()) {
        return Duration.ZERO; // a watch that ended normally (its timeout): renew at once
      }
      failed("flapping", "the watch ended at once, without an event; reconnecting");
    } catch (Error e) {
      // Never die unseen; only the type: a message may quote content.
      failed("error", "the watch failed unexpectedly: " + e.getClass().getName());
    } catch (ApiException e) {
      if (e.getCode() == 410) {
        relist();
        return Duration.ZERO;
      }
      failed("api_" + e.getCode(), describe(e, "watch"));
    } catch (RuntimeException e) {
      if (closed) {
        return Duration.ZERO;
      }
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      String reason = cause instanceof java.net.SocketTimeoutException ? "stalled" : "connection";
      failed(reason, "the watch failed: " + cause);
    } catch (IOException e) {
      failed("connection", "the watch failed: " + e);
    }
    registry
        .counter("reloader_api_watch_restarts", "Watches opened again after they ended")
        .increment();
    return loop.retryWait();
  }

  /**
   * One watch, until it ends. Only a watch that delivered an event, or that ran for at least half
   * its timeout, counts as working: one that connects and fails at once, every time, stays failing
   * (a connect alone proves nothing). The resourceVersion advances only past an event that was
   * rendered: a render that fails ends the watch, and the next one is opened from before it.
   *
   * @return whether it worked
   */
  private boolean watchOnce() throws ApiException, IOException {
    long opened = System.nanoTime();
    boolean working = false;
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
      for (Watch.Response<V1ConfigMap> event : watch) {
        loop.heartbeat().beat();
        if (closed) {
          return true;
        }
        Instant seenAt = Instant.now();
        if (!"ERROR".equals(event.type) && !working) {
          working = true;
          recovered();
        }
        switch (event.type) {
          case "ADDED", "MODIFIED" -> {
            if (!render(event.object, seenAt)) {
              throw new IOException("the render failed; watching again from " + resourceVersion);
            }
            resourceVersion = event.object.getMetadata().getResourceVersion();
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
    boolean ranLong = System.nanoTime() - opened >= settings.watchTimeout().toNanos() / 2;
    if (!working && ranLong) {
      recovered();
    }
    return working || ranLong;
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

  /** Renders and reports the ConfigMap; false when the render failed (reported as a failure). */
  private boolean render(V1ConfigMap configMap, Instant seenAt) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (configMap.getData() != null) {
      configMap.getData().forEach((k, v) -> files.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    if (configMap.getBinaryData() != null) {
      files.putAll(configMap.getBinaryData());
    }
    // Keys Kubernetes accepts that cannot be files of the kubelet's layout (.gitkeep): skipped, as
    // the app skips keys that are not config files (README).
    for (String key : List.copyOf(files.keySet())) {
      if (key.startsWith(".")) {
        files.remove(key);
        if (skippedKeys.add(key)) {
          LOG.warn(
              "ConfigMap {}/{}: key '{}' is skipped (a name starting with '.' cannot be rendered;"
                  + " the app reads *.yml, *.yaml, *.json and *.properties keys)",
              namespace,
              settings.name(),
              key);
        }
      }
    }
    try {
      write(files, seenAt, configMap.getMetadata().getResourceVersion());
      return true;
    } catch (IOException | RuntimeException e) {
      failed(
          "render",
          "cannot render into "
              + settings.renderDir()
              + ": "
              + e
              + " (it must be a writable dir the app reads, e.g. an emptyDir at /run/app)");
      return false;
    }
  }

  /**
   * The volume's copy of the same ConfigMap ({@code RELOADER_CONFIGMAP_VOLUME_DIR}) has new
   * content. The render dir comes after the volume in the app's dirs, so the API's copy wins; while
   * the watch works it is the newer copy. Once the watch has been failing for longer than
   * degraded-after, the volume's is: it is rendered into the render dir too, so that it reaches the
   * app instead of the stale API copy. The next update the watch delivers is rendered over it.
   */
  public void volumeChanged(SourceChange change) {
    DirSnapshot volume = change.snapshot();
    if (listener == null
        || !volume.present()
        || !volume.key().equals(DirSnapshot.keyOf(settings.volumeDir()))
        || !loop.degraded()) {
      return;
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    volume.files().forEach(f -> files.put(f.name(), f.content()));
    try {
      if (write(files, change.seenAt(), VOLUME_COPY)) {
        LOG.warn(
            "the watch of ConfigMap {}/{} has been failing for longer than {} s: the newer content"
                + " of {} is rendered into {} so that it reaches the app",
            namespace,
            settings.name(),
            settings.degradedAfter().toSeconds(),
            settings.volumeDir(),
            settings.renderDir());
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "cannot render the volume's content into {}: {}", settings.renderDir(), e.toString());
    }
  }

  /**
   * Writes the render dir and reports its new content; one writer at a time (the watch, or the
   * volume's thread through {@link #volumeChanged}).
   *
   * @return whether the content changed
   */
  private synchronized boolean write(Map<String, byte[]> files, Instant seenAt, String revision)
      throws IOException {
    KubeletVolume.write(settings.renderDir(), files, PosixFilePermissions.fromString("rw-r--r--"));
    DirSnapshot snapshot = KubeletVolume.read(settings.renderDir());
    if (snapshot.hash().equals(renderedHash)) {
      return false; // e.g. a label changed: nothing for the app
    }
    renderedHash = snapshot.hash();
    listener.changed(new SourceChange(NAME, snapshot, seenAt, revision));
    return true;
  }

  private void failed(String reason, String message) {
    registry
        .counter(
            "reloader_api_watch_errors", "Failed lists and watches, by reason", "reason", reason)
        .increment();
    loop.failed(message);
  }

  private void recovered() {
    loop.succeeded();
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
      okhttp3.Call call = api.createNamespacedEvent(podNamespace, event).buildCall(null);
      call.timeout().timeout(EVENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      try (okhttp3.Response response = call.execute()) {
        if (!response.isSuccessful()) {
          throw new ApiException(response.code(), response.message());
        }
      }
    } catch (IOException e) {
      LOG.debug("could not create an Event: {}", e.getClass().getName());
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

  /** The namespace watched: the one set, else the pod's. */
  public String namespace() throws IOException {
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

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
