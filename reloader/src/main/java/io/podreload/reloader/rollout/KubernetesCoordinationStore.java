package io.podreload.reloader.rollout;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.Watch;
import io.podreload.common.JsonTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordination objects on Kubernetes, through client-java: the state in ConfigMap {@code
 * <name>-rollout} and the pods' records in {@code <name>-rollout-pods}, both created (empty) by the
 * overlay so that a Role can name them in {@code resourceNames}.
 *
 * <ul>
 *   <li>The state is replaced by a JSON merge patch that carries the resourceVersion it was read
 *       at: the API server answers 409 Conflict when someone wrote in between (the
 *       compare-and-swap).
 *   <li>A record is written by server-side apply with the pod as field manager: the pod owns its
 *       one key, so pods never conflict, and need no resourceVersion.
 *   <li>Both objects are watched (the records only once asked: only the holder needs them), so a
 *       read costs no request.
 * </ul>
 */
public final class KubernetesCoordinationStore implements CoordinationStore, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesCoordinationStore.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final CoreV1Api api;
  private final String namespace;
  private final String configMap;
  private final String stateName;
  private final String recordsName;
  private final String pod;
  private final Runnable onChange;
  private final Duration watchTimeout;
  private final AtomicLong requests = new AtomicLong();
  private final Watched stateWatch;
  private final Watched recordsWatch;
  private volatile boolean closed;
  private volatile boolean eventsForbidden;

  /**
   * @param client a client whose read timeout exceeds {@code watchTimeout}
   * @param configMap the app's ConfigMap: the objects are named after it
   * @param pod this pod's name (its field manager and its records key)
   * @param onChange called on the watch's thread when either object changed
   */
  public KubernetesCoordinationStore(
      ApiClient client,
      String namespace,
      String configMap,
      String pod,
      Duration watchTimeout,
      Runnable onChange) {
    this.api = new CoreV1Api(client);
    this.namespace = namespace;
    this.configMap = configMap;
    this.stateName = stateName(configMap);
    this.recordsName = recordsName(configMap);
    this.pod = pod;
    this.onChange = onChange;
    this.watchTimeout = watchTimeout;
    this.stateWatch = new Watched(stateName);
    this.recordsWatch = new Watched(recordsName);
  }

  public static String stateName(String configMap) {
    return configMap + "-rollout";
  }

  public static String recordsName(String configMap) {
    return configMap + "-rollout-pods";
  }

  /** Reads the state and starts watching it. */
  public void start() {
    stateWatch.start();
  }

  /** Requests sent to the API server so far (a watch counts once per connection). */
  public long requests() {
    return requests.get();
  }

  @Override
  public RolloutState state() {
    V1ConfigMap cm = stateWatch.current();
    if (cm == null) {
      return RolloutState.empty("");
    }
    return RolloutState.fromData(
        cm.getMetadata().getResourceVersion(), cm.getData(), cm.getMetadata().getAnnotations());
  }

  @Override
  public RolloutState fresh() {
    stateWatch.refresh();
    return state();
  }

  @Override
  public Map<String, PodRecord> records() {
    recordsWatch.start();
    V1ConfigMap cm = recordsWatch.current();
    Map<String, PodRecord> records = new TreeMap<>();
    if (cm != null && cm.getData() != null) {
      cm.getData()
          .forEach(
              (key, value) ->
                  PodRecord.podOf(key)
                      .ifPresent(p -> PodRecord.parse(value).ifPresent(r -> records.put(p, r))));
    }
    return records;
  }

  @Override
  public void writeRecord(String writer, PodRecord record) {
    Map<String, Object> body = object(recordsName);
    body.put("data", Map.of(PodRecord.key(writer), record.toValue()));
    try {
      requests.incrementAndGet();
      // forced: the key is this pod's, also after a hand edit took it
      PatchUtils.patch(
          V1ConfigMap.class,
          () ->
              api.patchNamespacedConfigMap(recordsName, namespace, new V1Patch(json(body)))
                  .fieldManager(fieldManager(writer))
                  .force(true)
                  .buildCall(null),
          V1Patch.PATCH_FORMAT_APPLY_YAML,
          api.getApiClient());
    } catch (ApiException e) {
      throw failure("apply its record to", recordsName, e);
    }
  }

  @Override
  public boolean replaceState(RolloutState next) {
    Map<String, Object> body = new LinkedHashMap<>();
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("resourceVersion", next.resourceVersion());
    body.put("metadata", metadata);
    body.put("data", new LinkedHashMap<String, Object>(next.toData()));
    try {
      requests.incrementAndGet();
      V1ConfigMap written =
          PatchUtils.patch(
              V1ConfigMap.class,
              () ->
                  api.patchNamespacedConfigMap(stateName, namespace, new V1Patch(json(body)))
                      .fieldManager(fieldManager(pod))
                      .buildCall(null),
              V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
              api.getApiClient());
      stateWatch.offer(written);
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        stateWatch.refresh();
        return false;
      }
      throw failure("write the rollout state to", stateName, e);
    }
  }

  @Override
  public void pruneRecords(Collection<String> pods) {
    Map<String, Object> data = new LinkedHashMap<>();
    pods.forEach(p -> data.put(PodRecord.key(p), null));
    try {
      requests.incrementAndGet();
      PatchUtils.patch(
          V1ConfigMap.class,
          () ->
              api.patchNamespacedConfigMap(
                      recordsName, namespace, new V1Patch(json(Map.of("data", data))))
                  .fieldManager(fieldManager(pod))
                  .buildCall(null),
          V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
          api.getApiClient());
    } catch (ApiException e) {
      throw failure("remove records from", recordsName, e);
    }
  }

  @Override
  public void event(Action.Event event) {
    if (eventsForbidden) {
      return;
    }
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    CoreV1Event posted =
        new CoreV1Event()
            .metadata(new V1ObjectMeta().generateName(configMap + ".").namespace(namespace))
            .involvedObject(
                new V1ObjectReference()
                    .kind("ConfigMap")
                    .name(configMap)
                    .namespace(namespace)
                    .apiVersion("v1"))
            .reason(event.reason())
            .message(event.message())
            .type(event.type())
            .firstTimestamp(now)
            .lastTimestamp(now)
            .count(1)
            .reportingComponent("podreload-reloader")
            .reportingInstance(pod)
            .source(new io.kubernetes.client.openapi.models.V1EventSource().component("reloader"));
    try {
      requests.incrementAndGet();
      api.createNamespacedEvent(namespace, posted).execute();
    } catch (ApiException e) {
      if (e.getCode() == 403) {
        eventsForbidden = true;
        LOG.info(
            "not allowed to create Events in {} (403): rollout events are not posted", namespace);
      } else {
        LOG.debug("could not post event {}: HTTP {}", event.reason(), e.getCode());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    stateWatch.stop();
    recordsWatch.stop();
  }

  private static String fieldManager(String pod) {
    String manager = "podreload-" + pod;
    return manager.length() <= 128 ? manager : manager.substring(0, 128);
  }

  private Map<String, Object> object(String name) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("apiVersion", "v1");
    body.put("kind", "ConfigMap");
    body.put("metadata", Map.of("name", name, "namespace", namespace));
    return body;
  }

  private static String json(Object value) {
    try {
      return new String(JsonTree.write(value), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("a map of strings always writes", e);
    }
  }

  private CoordinationException failure(String what, String name, ApiException e) {
    String hint =
        switch (e.getCode()) {
          case 403 ->
              "; allow get, watch and patch on configmaps "
                  + stateName
                  + " and "
                  + recordsName
                  + " in the reloader's Role (kustomize/components/progressive-rollout)";
          case 404 ->
              "; create the empty ConfigMap (kustomize/components/progressive-rollout does)";
          default -> "";
        };
    return new CoordinationException(
        "cannot " + what + " ConfigMap " + namespace + "/" + name + ": HTTP " + e.getCode() + hint,
        e);
  }

  /** One ConfigMap kept current by a list and a watch on a thread of its own. */
  private final class Watched {
    private final String name;
    private volatile V1ConfigMap current;
    private volatile boolean listed;
    private Thread thread;
    private String resourceVersion;

    Watched(String name) {
      this.name = name;
    }

    synchronized void start() {
      if (thread != null) {
        return;
      }
      refresh();
      thread = new Thread(this::loop, "rollout-watch-" + name);
      thread.setDaemon(true);
      thread.start();
    }

    /**
     * Stops watching; start() may follow. The open stream is left to end on its next event or its
     * timeout (closing an OkHttp stream from another thread than its reader breaks Okio's timeout
     * bookkeeping): its thread sees it is no longer the watcher and returns.
     */
    void stop() {
      synchronized (this) {
        thread = null;
        listed = false;
      }
    }

    private synchronized boolean watching() {
      return thread == Thread.currentThread();
    }

    /**
     * Only the holder follows the records: a pod that sees the rollout held by another, or ended,
     * closes its records watch (each record write would otherwise reach every former holder).
     */
    private void changed() {
      if (this == stateWatch) {
        RolloutState state = state();
        if (!(state.active() && pod.equals(state.holder()))) {
          recordsWatch.stop();
        }
      }
      onChange.run();
    }

    V1ConfigMap current() {
      if (!listed) {
        refresh();
      }
      return current;
    }

    /** Keeps a newer copy (e.g. our own write's answer), never an older one. */
    synchronized void offer(V1ConfigMap cm) {
      if (cm == null) {
        return;
      }
      if (current == null || newer(cm, current)) {
        current = cm;
      }
    }

    /** Lists the object again (after a conflict, or to start). */
    void refresh() {
      try {
        requests.incrementAndGet();
        V1ConfigMapList list =
            api.listNamespacedConfigMap(namespace).fieldSelector("metadata.name=" + name).execute();
        synchronized (this) {
          resourceVersion = list.getMetadata().getResourceVersion();
          current = list.getItems().isEmpty() ? null : list.getItems().get(0);
          listed = true;
        }
      } catch (ApiException e) {
        throw failure("read", name, e);
      }
    }

    private void loop() {
      while (!closed && !Thread.currentThread().isInterrupted() && watching()) {
        String from;
        synchronized (this) {
          from = resourceVersion;
        }
        try {
          requests.incrementAndGet();
          try (Watch<V1ConfigMap> watch =
              Watch.createWatch(
                  api.getApiClient(),
                  api.listNamespacedConfigMap(namespace)
                      .fieldSelector("metadata.name=" + name)
                      .resourceVersion(from)
                      .allowWatchBookmarks(true)
                      .timeoutSeconds((int) watchTimeout.toSeconds())
                      .watch(true)
                      .buildCall(null),
                  new com.google.gson.reflect.TypeToken<
                      Watch.Response<V1ConfigMap>>() {}.getType())) {
            for (Watch.Response<V1ConfigMap> event : watch) {
              if (!watching()) {
                return;
              }
              if ("ERROR".equals(event.type)) {
                refresh(); // 410 Gone: list again
                break;
              }
              synchronized (this) {
                if (event.object != null && event.object.getMetadata() != null) {
                  resourceVersion = event.object.getMetadata().getResourceVersion();
                }
                if ("BOOKMARK".equals(event.type)) {
                  continue;
                }
                if ("DELETED".equals(event.type)) {
                  current = null;
                } else if (current == null || !newer(current, event.object)) {
                  // our own write's answer may have come first: never step back to an older copy
                  current = event.object;
                }
              }
              changed();
            }
          }
        } catch (Exception | Error e) {
          if (closed || !watching()) {
            return;
          }
          LOG.debug("watch of {} ended: {}", name, e.toString());
          try {
            Thread.sleep(RETRY.toMillis());
            refresh();
            changed();
          } catch (InterruptedException interrupted) {
            return;
          } catch (RuntimeException again) {
            LOG.warn("cannot read ConfigMap {}/{}: {}", namespace, name, again.getMessage());
          }
        }
      }
    }
  }

  private static boolean newer(V1ConfigMap a, V1ConfigMap b) {
    try {
      return Long.parseLong(a.getMetadata().getResourceVersion())
          > Long.parseLong(b.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return true; // opaque versions: the latest answer wins
    }
  }
}
