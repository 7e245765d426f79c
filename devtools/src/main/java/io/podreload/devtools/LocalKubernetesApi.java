package io.podreload.devtools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Kubernetes API server, for ConfigMaps and Events: what the reloader uses. It
 * runs the fleet of {@code bin/local-pod --replicas N} ({@link LocalFleet}) and is the API server
 * of the reloader's tests, because no kube-apiserver runs on a developer's machine or in CI and
 * fabric8's mock serves client-java's HTTP watches badly. It speaks the documented protocol that a
 * client sees: list with {@code fieldSelector=metadata.name=...} and a list resourceVersion; watch
 * ({@code watch=true}) as a chunked stream of newline-delimited JSON events (ADDED, MODIFIED,
 * DELETED, BOOKMARK when {@code allowWatchBookmarks=true}); an ERROR event with a 410 Expired
 * Status for a resourceVersion older than the compacted history; {@code timeoutSeconds} ends a
 * watch; 403 Forbidden Status bodies; and Events created by POST. Faults are switched on by the
 * test: forbid, hang new watches, drop open watches, compact the history.
 *
 * <p>Writes follow the documented API too: PUT replaces a ConfigMap, a JSON merge patch or a
 * strategic merge patch (the same thing for a ConfigMap's maps) changes it, and a {@code
 * metadata.resourceVersion} in the body is a precondition that answers 409 Conflict when stale.
 * Server-side apply ({@code application/apply-patch+yaml}, {@code fieldManager} required, {@code
 * force} optional) tracks which manager owns each key of {@code data}, {@code binaryData}, {@code
 * metadata.labels} and {@code metadata.annotations} ({@code metadata.managedFields} in FieldsV1): a
 * key another manager owns with a different value is a 409 Conflict naming the manager, unless
 * forced; a key the applier owned alone and no longer applies is removed; an apply creates a
 * missing object; a no-op changes no resourceVersion.
 */
public final class LocalKubernetesApi implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CONFIGMAPS =
      Pattern.compile("/api/v1/namespaces/([^/]+)/configmaps(?:/([^/]+))?");
  private static final Pattern EVENTS =
      Pattern.compile("/(?:api/v1|apis/events\\.k8s\\.io/v1)/namespaces/([^/]+)/events");
  private static final String END = "\u0000end"; // closes one watch stream

  /** One change in the history, as a watch event of a given resourceVersion. */
  private record Change(long resourceVersion, String type, ObjectNode object) {}

  /** A request as the server saw it. */
  public record Request(String method, String path, Map<String, String> query) {}

  private final HttpServer server;
  private final Map<String, ObjectNode> configMaps = new LinkedHashMap<>();
  private final List<Change> history = new ArrayList<>();
  private final List<BlockingQueue<String>> watches = new CopyOnWriteArrayList<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<JsonNode> events = new CopyOnWriteArrayList<>();
  private long resourceVersion = 100;
  private long compactedBefore = 0;
  private volatile boolean forbidden;
  private volatile boolean forbidEvents;
  private volatile boolean hangWatches;

  /** Per object, per manager ("name|Apply" or "name|Update"), the leaf paths it owns. */
  private final Map<String, Map<String, java.util.Set<String>>> owners = new HashMap<>();

  private final java.util.concurrent.atomic.AtomicLong conflicts =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong watchBytes =
      new java.util.concurrent.atomic.AtomicLong();

  /** Each broadcast line parsed once, however many watches filter it. */
  private final Map<String, JsonNode> parsedLines =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /** On a free port of the loopback interface. */
  public LocalKubernetesApi() throws IOException {
    this(0);
  }

  /** On {@code port} of the loopback interface (0: a free one). */
  public LocalKubernetesApi(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.setExecutor(
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "fake-kubernetes-api");
              thread.setDaemon(true);
              return thread;
            }));
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base path to give a client, e.g. {@code http://127.0.0.1:PORT}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Creates or updates a ConfigMap: an ADDED or MODIFIED event with a new resourceVersion. */
  public synchronized long put(
      String namespace, String name, Map<String, String> data, Map<String, byte[]> binaryData) {
    String key = namespace + "/" + name;
    ObjectNode current = configMaps.get(key);
    Map<String, String> leaves = new LinkedHashMap<>();
    if (data != null) {
      data.forEach((k, v) -> leaves.put("data." + k, v));
    }
    if (binaryData != null) {
      binaryData.forEach(
          (k, v) -> leaves.put("binaryData." + k, Base64.getEncoder().encodeToString(v)));
    }
    ObjectNode cm = build(namespace, name, current, leaves);
    configMaps.put(key, cm);
    record(current != null ? "MODIFIED" : "ADDED", cm);
    return resourceVersion;
  }

  public long put(String namespace, String name, Map<String, String> data) {
    return put(namespace, name, data, Map.of());
  }

  /** Deletes a ConfigMap: a DELETED event. */
  public synchronized void delete(String namespace, String name) {
    ObjectNode cm = configMaps.remove(namespace + "/" + name);
    if (cm != null) {
      ObjectNode gone = cm.deepCopy();
      ((ObjectNode) gone.get("metadata")).put("resourceVersion", String.valueOf(++resourceVersion));
      record("DELETED", gone);
    }
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch. */
  public synchronized void bookmark() {
    ObjectNode cm = JSON.createObjectNode();
    cm.put("apiVersion", "v1").put("kind", "ConfigMap");
    cm.putObject("metadata").put("resourceVersion", String.valueOf(resourceVersion));
    broadcast(line("BOOKMARK", cm));
  }

  /** Forgets the history: a watch from an older resourceVersion gets 410 Expired. */
  public synchronized void compact() {
    compactedBefore = resourceVersion;
    history.clear();
  }

  /** Every request answers 403 Forbidden, as with a missing RBAC rule. */
  public void forbid(boolean on) {
    forbidden = on;
  }

  /** POSTs of Events answer 403, as when the service account may not create events. */
  public void forbidEvents(boolean on) {
    forbidEvents = on;
  }

  /** New watches are accepted and then never send a byte (a stalled connection). */
  public void hangWatches(boolean on) {
    hangWatches = on;
  }

  /**
   * New watches are accepted and then at once answer an ERROR event (500) and end: a watch that
   * connects and fails on every cycle.
   */
  public void failWatches(boolean on) {
    failWatches = on;
  }

  private volatile boolean failWatches;

  /** Ends every open watch stream, as an API server restart or a load balancer does. */
  public void dropWatches() {
    broadcast(END);
  }

  public int openWatches() {
    return watches.size();
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The Events that clients created, as posted. */
  public List<JsonNode> events() {
    return List.copyOf(events);
  }

  /** Writes answered 409 Conflict (a stale resourceVersion or a field manager conflict). */
  public long conflicts() {
    return conflicts.get();
  }

  /** Bytes written to watch streams so far (the fan-out cost of the writes). */
  public long watchBytes() {
    return watchBytes.get();
  }

  /** A ConfigMap as stored now, or null. */
  public synchronized JsonNode configMap(String namespace, String name) {
    ObjectNode cm = configMaps.get(namespace + "/" + name);
    return cm == null ? null : cm.deepCopy();
  }

  /**
   * Holds the next {@code count} writes (PUT or PATCH) of one ConfigMap until all of them have
   * arrived, then lets them go together: writers that read the same resourceVersion reach the
   * server at the same moment, the race a busy cluster makes, made certain. The API server then
   * serves them one at a time, as it does.
   */
  public WriteGate holdWrites(String namespace, String name, int count) {
    WriteGate gate = new WriteGate(count);
    synchronized (gates) {
      gates.put(namespace + "/" + name, gate);
    }
    return gate;
  }

  private WriteGate gateFor(String key) {
    synchronized (gates) {
      WriteGate gate = gates.get(key);
      if (gate == null || !gate.admit()) {
        return null;
      }
      if (gate.full()) {
        gates.remove(key);
      }
      return gate;
    }
  }

  private final Map<String, WriteGate> gates = new HashMap<>();

  /** See {@link #holdWrites}. */
  public static final class WriteGate {
    private final int count;
    private final java.util.concurrent.CountDownLatch arrived;
    private final List<Integer> answers = new CopyOnWriteArrayList<>();
    private int admitted;

    private WriteGate(int count) {
      this.count = count;
      this.arrived = new java.util.concurrent.CountDownLatch(count);
    }

    private boolean admit() {
      return admitted++ < count;
    }

    private boolean full() {
      return admitted >= count;
    }

    private void arrive() {
      arrived.countDown();
      try {
        arrived.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void answered(int code) {
      answers.add(code);
    }

    /** Whether all the held writes arrived and were let go. */
    public boolean opened() {
      return arrived.getCount() == 0;
    }

    /** The HTTP status of each held write, in the order the server answered them. */
    public List<Integer> answers() {
      return List.copyOf(answers);
    }

    /** Lets the held writes go now, however many arrived (the server is closing). */
    void release() {
      while (arrived.getCount() > 0) {
        arrived.countDown();
      }
    }
  }

  @Override
  public void close() {
    synchronized (gates) {
      gates.values().forEach(WriteGate::release);
      gates.clear();
    }
    dropWatches();
    server.stop(0);
  }

  private void record(String type, ObjectNode object) {
    history.add(new Change(resourceVersion, type, object));
    broadcast(line(type, object));
    for (java.util.function.Consumer<JsonNode> listener : listeners) {
      listener.accept(object);
    }
  }

  /**
   * Calls {@code listener} with every stored change (the object as written), in the order of their
   * resourceVersions, on the writer's thread while the server holds its lock: keep it short.
   */
  public void onChange(java.util.function.Consumer<JsonNode> listener) {
    listeners.add(listener);
  }

  private final List<java.util.function.Consumer<JsonNode>> listeners =
      new CopyOnWriteArrayList<>();

  private void broadcast(String line) {
    for (BlockingQueue<String> watch : watches) {
      watch.add(line);
    }
  }

  private static String line(String type, JsonNode object) {
    ObjectNode event = JSON.createObjectNode();
    event.put("type", type);
    event.set("object", object);
    return event.toString();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      requests.add(new Request(exchange.getRequestMethod(), path, query));
      Matcher cms = CONFIGMAPS.matcher(path);
      Matcher evs = EVENTS.matcher(path);
      if (forbidden) {
        String verb = "true".equals(query.get("watch")) ? "watch" : "list";
        sendStatus(
            exchange,
            403,
            "Forbidden",
            "configmaps is forbidden: User \"system:serviceaccount:"
                + (cms.matches() ? cms.group(1) : "default")
                + ":app\" cannot "
                + verb
                + " resource \"configmaps\" in API group \"\" in the namespace \""
                + (cms.matches() ? cms.group(1) : "default")
                + "\"");
      } else if (evs.matches() && "POST".equals(exchange.getRequestMethod())) {
        createEvent(exchange, evs.group(1));
      } else if (cms.matches()
          && cms.group(2) != null
          && ("PUT".equals(exchange.getRequestMethod())
              || "PATCH".equals(exchange.getRequestMethod()))) {
        WriteGate gate = gateFor(cms.group(1) + "/" + cms.group(2));
        try {
          if (gate != null) {
            gate.arrive();
          }
          write(exchange, cms.group(1), cms.group(2), query);
        } finally {
          if (gate != null) {
            gate.answered(exchange.getResponseCode());
          }
        }
      } else if (cms.matches() && "GET".equals(exchange.getRequestMethod())) {
        if (cms.group(2) != null) {
          get(exchange, cms.group(1), cms.group(2));
        } else if ("true".equals(query.get("watch")) || "1".equals(query.get("watch"))) {
          watch(exchange, cms.group(1), query);
        } else {
          list(exchange, cms.group(1), query);
        }
      } else {
        sendStatus(exchange, 404, "NotFound", "the server could not find the requested resource");
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private synchronized List<ObjectNode> select(String namespace, Map<String, String> query) {
    Optional<String> name = fieldSelectorName(query);
    List<ObjectNode> items = new ArrayList<>();
    for (ObjectNode cm : configMaps.values()) {
      JsonNode meta = cm.get("metadata");
      if (meta.get("namespace").asText().equals(namespace)
          && name.map(n -> n.equals(meta.get("name").asText())).orElse(true)) {
        items.add(cm);
      }
    }
    return items;
  }

  private static Optional<String> fieldSelectorName(Map<String, String> query) {
    String selector = query.get("fieldSelector");
    if (selector == null) {
      return Optional.empty();
    }
    for (String term : selector.split(",")) {
      if (term.startsWith("metadata.name=")) {
        return Optional.of(term.substring("metadata.name=".length()));
      }
    }
    return Optional.empty();
  }

  private void get(HttpExchange exchange, String namespace, String name) throws IOException {
    ObjectNode cm;
    synchronized (this) {
      cm = configMaps.get(namespace + "/" + name);
    }
    if (cm == null) {
      sendStatus(exchange, 404, "NotFound", "configmaps \"" + name + "\" not found");
    } else {
      send(exchange, 200, cm.toString());
    }
  }

  private void list(HttpExchange exchange, String namespace, Map<String, String> query)
      throws IOException {
    ObjectNode list = JSON.createObjectNode();
    synchronized (this) {
      list.put("apiVersion", "v1").put("kind", "ConfigMapList");
      list.putObject("metadata").put("resourceVersion", String.valueOf(resourceVersion));
      var items = list.putArray("items");
      select(namespace, query).forEach(items::add);
    }
    send(exchange, 200, list.toString());
  }

  private void watch(HttpExchange exchange, String namespace, Map<String, String> query)
      throws IOException {
    Optional<String> name = fieldSelectorName(query);
    boolean bookmarks = "true".equals(query.get("allowWatchBookmarks"));
    long timeoutMillis =
        TimeUnit.SECONDS.toMillis(Long.parseLong(query.getOrDefault("timeoutSeconds", "1800")));
    BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0); // chunked: the events follow as they happen
    OutputStream out = exchange.getResponseBody();
    boolean hang = hangWatches;
    if (failWatches) {
      writeLine(out, line("ERROR", status(500, "InternalError", "etcd is unavailable")));
      out.close();
      return;
    }
    synchronized (this) {
      String from = query.get("resourceVersion");
      if (from == null || from.isEmpty() || "0".equals(from)) {
        for (ObjectNode cm : select(namespace, query)) {
          queue.add(line("ADDED", cm));
        }
      } else if (Long.parseLong(from) < compactedBefore) {
        ObjectNode status =
            status(
                410, "Expired", "too old resource version: " + from + " (" + compactedBefore + ")");
        writeLine(out, line("ERROR", status));
        return;
      } else {
        for (Change change : history) {
          if (change.resourceVersion() > Long.parseLong(from)) {
            queue.add(line(change.type(), change.object()));
          }
        }
      }
      watches.add(queue);
    }
    try {
      long deadline = System.currentTimeMillis() + timeoutMillis;
      while (true) {
        long left = deadline - System.currentTimeMillis();
        String next = left <= 0 ? null : queue.poll(left, TimeUnit.MILLISECONDS);
        if (next == null || next.equals(END)) {
          return;
        }
        if (hang) {
          continue; // a stalled stream: nothing reaches the client
        }
        JsonNode event = parsedLine(next);
        String type = event.get("type").asText();
        if (type.equals("BOOKMARK") ? bookmarks : matches(event.get("object"), namespace, name)) {
          writeLine(out, next);
          watchBytes.addAndGet(next.length() + 1);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      watches.remove(queue);
    }
  }

  private static boolean matches(JsonNode object, String namespace, Optional<String> name) {
    JsonNode meta = object.get("metadata");
    return meta.get("namespace").asText().equals(namespace)
        && name.map(n -> n.equals(meta.get("name").asText())).orElse(true);
  }

  /** Event POSTs are answered only after this long: a slow API server. */
  public void delayEvents(java.time.Duration delay) {
    eventDelay = delay;
  }

  private volatile java.time.Duration eventDelay = java.time.Duration.ZERO;

  private void createEvent(HttpExchange exchange, String namespace) throws IOException {
    try {
      Thread.sleep(eventDelay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (forbidEvents) {
      sendStatus(
          exchange,
          403,
          "Forbidden",
          "events is forbidden: User \"system:serviceaccount:"
              + namespace
              + ":app\" cannot create resource \"events\" in API group \"\" in the namespace \""
              + namespace
              + "\"");
      return;
    }
    JsonNode event = JSON.readTree(exchange.getRequestBody());
    events.add(event);
    ObjectNode created = event.deepCopy();
    ObjectNode meta =
        created.has("metadata")
            ? (ObjectNode) created.get("metadata")
            : created.putObject("metadata");
    meta.put("resourceVersion", String.valueOf(resourceVersion));
    send(exchange, 201, created.toString());
  }

  private JsonNode parsedLine(String line) throws IOException {
    JsonNode parsed = parsedLines.get(line);
    if (parsed == null) {
      parsed = JSON.readTree(line);
      parsedLines.put(line, parsed);
    }
    return parsed;
  }

  /** The leaf paths whose ownership the fake tracks. */
  private static final List<String> OWNED_MAPS =
      List.of("data", "binaryData", "metadata.labels", "metadata.annotations");

  /** PUT (replace) or PATCH (merge, strategic merge, server-side apply) of one ConfigMap. */
  private void write(
      HttpExchange exchange, String namespace, String name, Map<String, String> query)
      throws IOException {
    String method = exchange.getRequestMethod();
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    String mediaType = type == null ? "" : type.split(";")[0].trim();
    byte[] body = exchange.getRequestBody().readAllBytes();
    boolean apply = "PATCH".equals(method) && "application/apply-patch+yaml".equals(mediaType);
    boolean merge =
        "PATCH".equals(method)
            && ("application/merge-patch+json".equals(mediaType)
                || "application/strategic-merge-patch+json".equals(mediaType));
    if ("PATCH".equals(method) && !apply && !merge) {
      sendStatus(
          exchange,
          415,
          "UnsupportedMediaType",
          "the body of the request was in an unknown format - accepted media types include:"
              + " application/json-patch+json, application/merge-patch+json,"
              + " application/apply-patch+yaml");
      return;
    }
    String manager = query.get("fieldManager");
    if (apply && (manager == null || manager.isEmpty())) {
      sendStatus(
          exchange,
          400,
          "BadRequest",
          "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for"
              + " apply patch");
      return;
    }
    JsonNode patch;
    try {
      patch =
          apply
              ? JSON.valueToTree(
                  new org.yaml.snakeyaml.Yaml().load(new String(body, StandardCharsets.UTF_8)))
              : JSON.readTree(body);
    } catch (RuntimeException | IOException e) {
      sendStatus(exchange, 400, "BadRequest", "the request body does not parse: " + e.getMessage());
      return;
    }
    if (patch == null || !patch.isObject()) {
      sendStatus(exchange, 400, "BadRequest", "the request body must be an object");
      return;
    }
    if (apply && (!patch.has("apiVersion") || !patch.has("kind"))) {
      sendStatus(
          exchange, 400, "BadRequest", "apiVersion and kind must be set in an apply configuration");
      return;
    }
    String who = manager == null || manager.isEmpty() ? "unknown" : manager;
    String key = namespace + "/" + name;
    int code;
    ObjectNode result;
    synchronized (this) {
      ObjectNode current = configMaps.get(key);
      String precondition = patch.path("metadata").path("resourceVersion").asText("");
      if (current == null && !apply) {
        sendStatus(exchange, 404, "NotFound", "configmaps \"" + name + "\" not found");
        return;
      }
      if (current != null
          && !precondition.isEmpty()
          && !precondition.equals(current.path("metadata").path("resourceVersion").asText())) {
        conflicts.incrementAndGet();
        sendStatus(
            exchange,
            409,
            "Conflict",
            "Operation cannot be fulfilled on configmaps \""
                + name
                + "\": the object has been modified; please apply your changes to the latest"
                + " version and try again");
        return;
      }
      if (current == null && !precondition.isEmpty()) {
        sendStatus(exchange, 404, "NotFound", "configmaps \"" + name + "\" not found");
        return;
      }
      Map<String, String> before = current == null ? Map.of() : leaves(current);
      Map<String, java.util.Set<String>> owned =
          owners.computeIfAbsent(key, k -> new LinkedHashMap<>());
      Map<String, String> after;
      if (apply) {
        Map<String, String> applied = leaves(patch);
        String self = who + "|Apply";
        List<String> conflicting = new ArrayList<>();
        for (Map.Entry<String, String> field : applied.entrySet()) {
          String was = before.get(field.getKey());
          if (was == null || was.equals(field.getValue())) {
            continue;
          }
          for (Map.Entry<String, java.util.Set<String>> other : owned.entrySet()) {
            if (!other.getKey().equals(self) && other.getValue().contains(field.getKey())) {
              conflicting.add(
                  "conflict with \""
                      + other.getKey().substring(0, other.getKey().lastIndexOf('|'))
                      + "\""
                      + (other.getKey().endsWith("|Update") ? " using v1" : "")
                      + ": ."
                      + field.getKey());
            }
          }
        }
        if (!conflicting.isEmpty() && !"true".equals(query.get("force"))) {
          conflicts.incrementAndGet();
          ObjectNode status =
              status(
                  409,
                  "Conflict",
                  "Apply failed with "
                      + conflicting.size()
                      + " conflict"
                      + (conflicting.size() == 1 ? "" : "s")
                      + ": "
                      + String.join("\n", conflicting));
          var causes =
              status
                  .putObject("details")
                  .put("name", name)
                  .put("kind", "configmaps")
                  .putArray("causes");
          for (String c : conflicting) {
            causes
                .addObject()
                .put("type", "FieldManagerConflict")
                .put("message", c.substring(0, c.indexOf(": .")))
                .put("field", c.substring(c.indexOf(": .") + 2));
          }
          send(exchange, 409, status.toString());
          return;
        }
        after = new LinkedHashMap<>(before);
        java.util.Set<String> previously = owned.getOrDefault(self, java.util.Set.of());
        for (String field : previously) {
          if (!applied.containsKey(field)) {
            boolean sharedWithOthers = false;
            for (Map.Entry<String, java.util.Set<String>> other : owned.entrySet()) {
              sharedWithOthers |= !other.getKey().equals(self) && other.getValue().contains(field);
            }
            if (!sharedWithOthers) {
              after.remove(field);
            }
          }
        }
        after.putAll(applied);
        for (Map.Entry<String, java.util.Set<String>> other : owned.entrySet()) {
          if (!other.getKey().equals(self)) {
            for (String field : applied.keySet()) {
              String was = before.get(field);
              if (was != null && !was.equals(applied.get(field))) {
                other.getValue().remove(field); // forced: the applier takes it
              }
            }
          }
        }
        owned.put(self, new java.util.LinkedHashSet<>(applied.keySet()));
      } else if ("PUT".equals(method)) {
        after = leaves(patch);
        takeChanged(owned, who + "|Update", before, after);
      } else {
        ObjectNode merged = current.deepCopy();
        mergePatch(merged, patch);
        after = leaves(merged);
        takeChanged(owned, who + "|Update", before, after);
      }
      owned.values().removeIf(java.util.Set::isEmpty);
      if (current != null && after.equals(before) && !apply) {
        result = current;
        code = 200;
      } else if (current != null && after.equals(before)) {
        result = current; // a no-op apply: ownership may move, nothing is written
        code = 200;
      } else {
        result = build(namespace, name, current, after);
        result.withObject("/metadata").set("managedFields", managedFields(owned));
        configMaps.put(key, result);
        record(current == null ? "ADDED" : "MODIFIED", result);
        code = current == null ? 201 : 200;
      }
      result.withObject("/metadata").set("managedFields", managedFields(owned));
      result = result.deepCopy();
    }
    send(exchange, code, result.toString());
  }

  /** An Update takes the fields it changed from everyone; removed fields lose their owners. */
  private static void takeChanged(
      Map<String, java.util.Set<String>> owned,
      String manager,
      Map<String, String> before,
      Map<String, String> after) {
    for (String field : new java.util.HashSet<>(before.keySet())) {
      if (!after.containsKey(field)) {
        owned.values().forEach(fields -> fields.remove(field));
      }
    }
    for (Map.Entry<String, String> field : after.entrySet()) {
      if (!field.getValue().equals(before.get(field.getKey()))) {
        owned.values().forEach(fields -> fields.remove(field.getKey()));
        owned.computeIfAbsent(manager, m -> new java.util.LinkedHashSet<>()).add(field.getKey());
      }
    }
  }

  /** RFC 7386: objects merge, null removes, anything else replaces. */
  private static void mergePatch(ObjectNode target, JsonNode patch) {
    patch
        .fields()
        .forEachRemaining(
            field -> {
              JsonNode value = field.getValue();
              if (value.isNull()) {
                target.remove(field.getKey());
              } else if (value.isObject() && target.path(field.getKey()).isObject()) {
                mergePatch((ObjectNode) target.get(field.getKey()), value);
              } else {
                target.set(field.getKey(), value.deepCopy());
              }
            });
  }

  /** The owned leaves of a ConfigMap, by path ("data.key", "metadata.annotations.key"). */
  private static Map<String, String> leaves(JsonNode object) {
    Map<String, String> leaves = new LinkedHashMap<>();
    for (String map : OWNED_MAPS) {
      JsonNode node = object;
      for (String part : map.split("\\.")) {
        node = node.path(part);
      }
      node.fields()
          .forEachRemaining(
              f -> {
                if (!f.getValue().isNull()) {
                  leaves.put(map + "." + f.getKey(), f.getValue().asText());
                }
              });
    }
    return leaves;
  }

  /** A stored ConfigMap with {@code leaves}, a new resourceVersion, the uid kept. */
  private ObjectNode build(
      String namespace, String name, ObjectNode current, Map<String, String> leaves) {
    ObjectNode cm = JSON.createObjectNode();
    cm.put("apiVersion", "v1").put("kind", "ConfigMap");
    ObjectNode meta = cm.putObject("metadata");
    meta.put("name", name).put("namespace", namespace);
    meta.put(
        "uid",
        current == null
            ? UUID.randomUUID().toString()
            : current.path("metadata").path("uid").asText());
    meta.put("resourceVersion", String.valueOf(++resourceVersion));
    meta.put(
        "creationTimestamp",
        current == null
            ? Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
            : current.path("metadata").path("creationTimestamp").asText());
    for (Map.Entry<String, String> leaf : leaves.entrySet()) {
      String path = leaf.getKey();
      String map =
          OWNED_MAPS.stream().filter(m -> path.startsWith(m + ".")).findFirst().orElseThrow();
      ObjectNode node = cm;
      for (String part : map.split("\\.")) {
        node = node.has(part) ? (ObjectNode) node.get(part) : node.putObject(part);
      }
      node.put(path.substring(map.length() + 1), leaf.getValue());
    }
    return cm;
  }

  private static com.fasterxml.jackson.databind.node.ArrayNode managedFields(
      Map<String, java.util.Set<String>> owned) {
    var entries = JSON.createArrayNode();
    owned.forEach(
        (manager, fields) -> {
          ObjectNode entry = entries.addObject();
          int bar = manager.lastIndexOf('|');
          entry
              .put("manager", manager.substring(0, bar))
              .put("operation", manager.substring(bar + 1));
          entry.put("apiVersion", "v1").put("fieldsType", "FieldsV1");
          ObjectNode fieldsV1 = entry.putObject("fieldsV1");
          for (String field : fields) {
            String map =
                OWNED_MAPS.stream()
                    .filter(m -> field.startsWith(m + "."))
                    .findFirst()
                    .orElseThrow();
            ObjectNode node = fieldsV1;
            for (String part : map.split("\\.")) {
              node =
                  node.has("f:" + part)
                      ? (ObjectNode) node.get("f:" + part)
                      : node.putObject("f:" + part);
            }
            node.putObject("f:" + field.substring(map.length() + 1));
          }
        });
    return entries;
  }

  private static void writeLine(OutputStream out, String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static ObjectNode status(int code, String reason, String message) {
    ObjectNode status = JSON.createObjectNode();
    status.put("kind", "Status").put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
    return status;
  }

  private static void sendStatus(HttpExchange exchange, int code, String reason, String message)
      throws IOException {
    send(exchange, code, status(code, reason, message).toString());
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new HashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        String key =
            URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value =
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        query.put(key, value);
      }
    }
    return query;
  }
}
