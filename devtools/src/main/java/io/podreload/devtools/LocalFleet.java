package io.podreload.devtools;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cluster side of {@code bin/local-pod --replicas N}: a {@link LocalKubernetesApi} that holds
 * the app's ConfigMap and the two empty coordination objects the progressive-rollout component
 * creates ({@code <name>-rollout}, {@code <name>-rollout-pods}); every save of the edited file is
 * put into the ConfigMap (the edit a user makes with {@code kubectl edit}); and every change of the
 * rollout's phase and of each pod's record is printed as the API server stores it, as {@code
 * kubectl get -w} would show them.
 *
 * <pre>
 * java -cp devtools/target/devtools.jar:devtools/target/lib/* io.podreload.devtools.LocalFleet \
 *   --file FILE --url-file PATH [--port N] [--namespace default] [--configmap app-config]
 * </pre>
 *
 * The API server's base URL is written to {@code --url-file} once it listens (with {@code --port
 * 0}, the default, on a free port).
 */
public final class LocalFleet {

  private static final Pattern FIELD = Pattern.compile("(\\w+)=(\\S*)");

  private final LocalKubernetesApi api;
  private final String namespace;
  private final String configMap;
  private final PrintStream out;
  private final Map<String, String> shown = new LinkedHashMap<>();

  LocalFleet(LocalKubernetesApi api, String namespace, String configMap, PrintStream out) {
    this.api = api;
    this.namespace = namespace;
    this.configMap = configMap;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("--port", "0");
    options.put("--namespace", "default");
    options.put("--configmap", "app-config");
    for (int i = 0; i < args.length; i++) {
      if (!options.containsKey(args[i])
              && !args[i].equals("--file")
              && !args[i].equals("--url-file")
          || i + 1 == args.length) {
        System.err.println(
            "usage: LocalFleet --file FILE --url-file PATH [--port N] [--namespace NS]"
                + " [--configmap NAME]");
        System.exit(2);
      }
      options.put(args[i], args[++i]);
    }
    if (!options.containsKey("--file") || !options.containsKey("--url-file")) {
      System.err.println("LocalFleet: --file and --url-file are required");
      System.exit(2);
    }
    LocalKubernetesApi api = new LocalKubernetesApi(Integer.parseInt(options.get("--port")));
    LocalFleet fleet =
        new LocalFleet(api, options.get("--namespace"), options.get("--configmap"), System.out);
    fleet.createCoordinationObjects();
    EditedFile edited =
        new EditedFile(Path.of(options.get("--file")), Duration.ZERO, fleet::putIntoConfigMap);
    edited.publishIfChanged(); // the ConfigMap exists before any pod starts
    Path urlFile = Path.of(options.get("--url-file"));
    Path temp = urlFile.resolveSibling(urlFile.getFileName() + ".tmp");
    Files.writeString(temp, api.url() + "\n");
    Files.move(temp, urlFile, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("Kubernetes API stand-in at " + api.url());
    fleet.show();
    api.onChange(object -> fleet.show());
    edited.follow();
  }

  /** The two objects the progressive-rollout component creates empty. */
  void createCoordinationObjects() {
    api.put(namespace, configMap + "-rollout", Map.of());
    api.put(namespace, configMap + "-rollout-pods", Map.of());
  }

  /** A save of the edited file: the ConfigMap's key is the file's name. */
  void putIntoConfigMap(String key, byte[] content) {
    long resourceVersion =
        api.put(namespace, configMap, Map.of(key, new String(content, StandardCharsets.UTF_8)));
    out.printf(
        "ConfigMap %s/%s: %s updated (%d bytes, resourceVersion %d)%n",
        namespace, configMap, key, content.length, resourceVersion);
  }

  /**
   * Prints what changed since the last call: the rollout's phase, then each pod's record. Called on
   * every write the API server stores, in its order, so no step of a rollout is missed.
   */
  synchronized void show() {
    JsonNode state = data(configMap + "-rollout");
    if (state.has("phase")) {
      String line =
          String.format(
              "rollout of %s: %s (canary %s%s)%s",
              state.path("version").asText("?"),
              state.path("phase").asText(),
              state.path("canary").asText("none"),
              state.has("wave") ? ", wave " + state.path("wave").asText() : "",
              state.path("reason").asText("").isEmpty()
                  ? ""
                  : ": " + state.path("reason").asText());
      print("rollout", line);
    }
    data(configMap + "-rollout-pods")
        .fields()
        .forEachRemaining(
            field -> {
              if (field.getKey().startsWith("pod.")) {
                String pod = field.getKey().substring("pod.".length());
                Map<String, String> record = record(field.getValue().asText());
                String line =
                    String.format(
                        "%s serves %s (last attempt %s: %s)",
                        pod,
                        record.getOrDefault("serving", "nothing"),
                        record.getOrDefault("attempted", "none"),
                        record.getOrDefault("result", "?"));
                print("pod." + pod, line);
              }
            });
  }

  private void print(String key, String line) {
    if (!Objects.equals(shown.put(key, line), line)) {
      out.println(line);
    }
  }

  private JsonNode data(String name) {
    JsonNode cm = api.configMap(namespace, name);
    return cm == null
        ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
        : cm.path("data");
  }

  /** A pod's record as the reloader writes it: {@code serving=V attempted=V result=R at=T ...}. */
  private static Map<String, String> record(String value) {
    Map<String, String> fields = new LinkedHashMap<>();
    Matcher m = FIELD.matcher(value);
    while (m.find()) {
      fields.putIfAbsent(m.group(1), m.group(2));
    }
    return fields;
  }
}
