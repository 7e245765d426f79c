package io.podreload.reloader.rollout;

import io.kubernetes.client.openapi.ApiClient;
import io.podreload.devtools.LocalKubernetesApi;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/**
 * The rollout at scale (bench/rollout.sh): N reloaders, each a {@link RolloutAgent} on its own
 * thread with its own watch and a simulated app that acknowledges after a delay, against one fake
 * API server (no kube-apiserver runs here). Per rollout it counts the requests the server saw, its
 * 409 Conflicts and the bytes it wrote to watch streams, and times the edit to the last pod served;
 * a bad edit is timed to the rollback served on the canary.
 *
 * <p>Arguments: fleet sizes (default 3 30 300), then {@code --rollouts R} per size (default 3).
 */
public final class RolloutScaleBench {

  private static final String NS = "podreload";
  private static final String CM = "app-config";
  private static final Duration ACK = Duration.ofMillis(20);
  private static final Duration BAKE = Duration.ofSeconds(2);

  /** A simulated app whose reload takes {@link #ACK}, as a SIGHUP and a re-read do. */
  private static final class SlowApp implements VersionTarget {
    final SimulatedApp app;

    SlowApp(SimulatedApp app) {
      this.app = app;
    }

    @Override
    public AppView view() {
      return app.view();
    }

    @Override
    public void serve(String version) {
      try {
        Thread.sleep(ACK.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      app.serve(version);
    }
  }

  private record Pod(SimulatedApp app, RolloutRunner runner, KubernetesCoordinationStore store) {}

  private record Figures(
      int pods, double requestsPerPod, long conflicts, long watchKib, long millis) {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    int rollouts = 3;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--rollouts")) {
        rollouts = Integer.parseInt(args[++i]);
      } else {
        sizes.add(Integer.parseInt(args[i]));
      }
    }
    if (sizes.isEmpty()) {
      sizes = List.of(3, 30, 300);
    }
    RolloutPolicy policy =
        new RolloutPolicy(
            BAKE,
            0.01,
            0,
            0.25,
            Duration.ofSeconds(10),
            Duration.ofMillis(250),
            Duration.ofSeconds(60),
            3);
    System.out.println("## Progressive rollout at scale");
    System.out.println();
    System.out.println(
        "`bench/rollout.sh`: N reloaders (each a rollout agent on its own thread, its own watch of the"
            + " coordination objects, and a simulated app that acknowledges a reload after "
            + ACK.toMillis()
            + " ms) against one fake API server (no kube-apiserver runs here); bake "
            + BAKE.toSeconds()
            + " s, waves of 25%, claim slot 250 ms per pod, "
            + rollouts
            + " good rollouts per size (medians), started after the fleet registered.");
    System.out.println();
    System.out.println(
        "| pods | API requests per pod per rollout (goal ≤ 5) | 409 per rollout (goal ≤ N/10) | watch bytes sent per rollout | edit → last pod served | of which bake |");
    System.out.println("|---|---|---|---|---|---|");
    Long badMillis = null;
    for (int n : sizes) {
      List<Figures> runs = new ArrayList<>();
      try (LocalKubernetesApi api = new LocalKubernetesApi()) {
        api.put(NS, KubernetesCoordinationStore.stateName(CM), Map.of());
        api.put(NS, KubernetesCoordinationStore.recordsName(CM), Map.of());
        OkHttpClient http =
            new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(n * 3 + 10, 5, TimeUnit.MINUTES))
                .readTimeout(Duration.ofMinutes(2))
                .build();
        List<Pod> pods = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          pods.add(
              pod(api, http, "app-" + i, policy, n == sizes.get(0) ? Set.of("bad") : Set.of()));
        }
        awaitCondition(
            () ->
                api.configMap(NS, KubernetesCoordinationStore.recordsName(CM)).path("data").size()
                    == n,
            Duration.ofMinutes(2),
            "the fleet of " + n + " did not register");
        for (int r = 1; r <= rollouts; r++) {
          runs.add(rollout(api, pods, "v" + r));
        }
        if (n == sizes.get(0)) {
          badMillis = badRollout(api, pods, "v" + rollouts);
        }
        pods.forEach(
            p -> {
              p.runner().close();
              p.store().close();
            });
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
      }
      double[] perPod = runs.stream().mapToDouble(Figures::requestsPerPod).sorted().toArray();
      long[] conflicts = runs.stream().mapToLong(Figures::conflicts).sorted().toArray();
      long[] kib = runs.stream().mapToLong(Figures::watchKib).sorted().toArray();
      long[] millis = runs.stream().mapToLong(Figures::millis).sorted().toArray();
      System.out.printf(
          "| %d | %.2f (runs: %s) | %d (max %d) | %d KiB | %.2f s (runs: %s) | %d s |%n",
          n,
          perPod[perPod.length / 2],
          Arrays.toString(Arrays.stream(perPod).mapToObj(d -> String.format("%.2f", d)).toArray()),
          conflicts[conflicts.length / 2],
          conflicts[conflicts.length - 1],
          kib[kib.length / 2],
          millis[millis.length / 2] / 1000.0,
          Arrays.toString(
              Arrays.stream(millis).mapToObj(m -> String.format("%.2f", m / 1000.0)).toArray()),
          BAKE.toSeconds());
      System.out.flush();
    }
    if (badMillis != null) {
      System.out.println();
      System.out.printf(
          "Bad edit (the canary answers 5xx), fleet of %d: edit → rollback served on the canary %.2f s"
              + " (goal ≤ bake + 1 s = %d s; the gate fails fast once the 5xx share is over the limit).%n",
          sizes.get(0), badMillis / 1000.0, BAKE.toSeconds() + 1);
    }
  }

  private static Pod pod(
      LocalKubernetesApi api,
      OkHttpClient http,
      String name,
      RolloutPolicy policy,
      Set<String> bad) {
    Clock clock = Clock.systemUTC();
    ApiClient client = new ApiClient().setBasePath(api.url());
    client.setHttpClient(http);
    SimulatedApp app = new SimulatedApp(clock, "v0", bad, Set.of());
    RolloutRunner[] runner = new RolloutRunner[1];
    KubernetesCoordinationStore store =
        new KubernetesCoordinationStore(
            client, NS, CM, name, Duration.ofMinutes(1), () -> runner[0].poke());
    RolloutAgent agent =
        new RolloutAgent(new RolloutNode(name, policy, clock), store, new SlowApp(app), clock);
    runner[0] = new RolloutRunner(agent, clock);
    store.start();
    runner[0].start();
    return new Pod(app, runner[0], store);
  }

  private static Figures rollout(LocalKubernetesApi api, List<Pod> pods, String version)
      throws InterruptedException {
    int requests = api.requests().size();
    long conflicts = api.conflicts();
    long bytes = api.watchBytes();
    long start = System.nanoTime();
    for (Pod pod : pods) {
      pod.app().offer(version);
      pod.runner().poke();
    }
    awaitCondition(
        () -> pods.stream().allMatch(p -> version.equals(p.app().serving())),
        Duration.ofMinutes(5),
        "not every pod serves " + version);
    long millis = (System.nanoTime() - start) / 1_000_000;
    awaitCondition(
        () -> "promoted".equals(stateKey(api, "phase")) && version.equals(stateKey(api, "version")),
        Duration.ofMinutes(1),
        version + " was not recorded promoted");
    // the last acknowledgements and the promoted write are in: let the watches deliver them
    Thread.sleep(500);
    int n = pods.size();
    return new Figures(
        n,
        (api.requests().size() - requests) / (double) n,
        api.conflicts() - conflicts,
        (api.watchBytes() - bytes) / 1024,
        millis);
  }

  private static long badRollout(LocalKubernetesApi api, List<Pod> pods, String good)
      throws InterruptedException {
    long start = System.nanoTime();
    for (Pod pod : pods) {
      pod.app().offer("bad");
      pod.runner().poke();
    }
    Thread traffic =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                pods.forEach(p -> p.app().traffic(1));
                try {
                  Thread.sleep(10);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    traffic.start();
    try {
      awaitCondition(
          () -> "rolled-back".equals(stateKey(api, "phase")), Duration.ofMinutes(1), "no rollback");
      String canary = stateKey(api, "canary");
      Pod pod =
          pods.stream()
              .filter(p -> p.runner() != null && canaryOf(p, pods, canary))
              .findFirst()
              .orElseThrow();
      awaitCondition(
          () -> good.equals(pod.app().serving()), Duration.ofMinutes(1), "canary still bad");
      return (System.nanoTime() - start) / 1_000_000;
    } finally {
      traffic.interrupt();
    }
  }

  private static boolean canaryOf(Pod pod, List<Pod> pods, String canary) {
    return ("app-" + pods.indexOf(pod)).equals(canary);
  }

  private static String stateKey(LocalKubernetesApi api, String key) {
    return api.configMap(NS, KubernetesCoordinationStore.stateName(CM))
        .path("data")
        .path(key)
        .asText(null);
  }

  private static void awaitCondition(
      java.util.function.BooleanSupplier done, Duration max, String failure)
      throws InterruptedException {
    Instant end = Instant.now().plus(max);
    while (!done.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new IllegalStateException(failure);
      }
      Thread.sleep(5);
    }
  }
}
