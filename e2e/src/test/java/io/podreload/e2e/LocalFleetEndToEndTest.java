package io.podreload.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/local-pod --replicas 2}: two pods (each a real app and a real reloader with {@code
 * RELOADER_ROLLOUT=progressive}, each in a PID namespace of its own as root) against devtools'
 * Kubernetes API stand-in (the only stand-in: no kube-apiserver runs here). A save of the edited
 * file is put into the stand-in's ConfigMap and rolled out: the command prints the rollout's phases
 * and each pod's version as the API server stores them, and every pod ends on the new greeting.
 */
class LocalFleetEndToEndTest {

  private static final int REPLICAS = 2;
  private static final Duration UP = Duration.ofSeconds(300); // 5 JVMs on a busy 2-core machine
  private static final Duration ROLLOUT = Duration.ofSeconds(120);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  @Test
  void aSaveOfTheFileReachesTheCanaryFirstThenTheOtherPodAndEveryPodEndsOnIt() throws Exception {
    Path work = dir.resolve("fleet");
    Files.createDirectories(work);
    Path edited = work.resolve("application.yml");
    Files.writeString(edited, "app:\n  greeting: \"one\"\n");
    int base = freeBase();
    Path output = dir.resolve("fleet-output.log");
    ProcessBuilder builder =
        new ProcessBuilder(
                LocalPod.ROOT.resolve("bin/local-pod").toString(),
                "--replicas",
                String.valueOf(REPLICAS),
                "--dir",
                work.toString(),
                "--app-port",
                String.valueOf(base),
                "--app-management-port",
                String.valueOf(base + 1),
                "--reloader-port",
                String.valueOf(base + 2),
                "--logger-port",
                String.valueOf(base + 3))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().put("RELOADER_ROLLOUT_BAKE", "2s");
    Process fleet = builder.start();
    try {
      await("the fleet is up")
          .atMost(UP)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> text(output).contains("local-pod | the fleet is up") || !fleet.isAlive());
      assertTrue(fleet.isAlive(), () -> "bin/local-pod --replicas exited:\n" + text(output));
      for (int i = 0; i < REPLICAS; i++) {
        int port = base + 100 * i;
        await("pod-" + (i + 1) + " serves the first version")
            .atMost(ROLLOUT)
            .until(() -> "one".equals(greeting(port)));
      }

      Path temp = work.resolve(".application.yml.tmp");
      Files.writeString(temp, "app:\n  greeting: \"two\"\n");
      Files.move(temp, edited, StandardCopyOption.ATOMIC_MOVE); // an editor's save

      await("every pod serves the edit")
          .atMost(ROLLOUT)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                for (int i = 0; i < REPLICAS; i++) {
                  if (!"two".equals(greeting(base + 100 * i))) {
                    return false;
                  }
                }
                return true;
              });
      await("the rollout is promoted")
          .atMost(ROLLOUT)
          .until(() -> text(output).matches("(?s).*rollout of \\w+: promoted.*"));

      // The printed history, in the API server's order of writes.
      List<String> lines = text(output).lines().filter(l -> l.startsWith("fleet    | ")).toList();
      Matcher promoted =
          Pattern.compile("rollout of (\\w+): promoted \\(canary (pod-\\d+)")
              .matcher(String.join("\n", lines));
      assertTrue(promoted.find(), () -> "no promoted rollout in:\n" + String.join("\n", lines));
      String version = promoted.group(1);
      String canary = promoted.group(2);
      String other = canary.equals("pod-1") ? "pod-2" : "pod-1";
      int canaryStarted = indexOf(lines, "rollout of " + version + ": canary (canary " + canary);
      int canaryServes = indexOf(lines, canary + " serves " + version);
      int promoting = indexOf(lines, "rollout of " + version + ": promoting");
      int otherServes = indexOf(lines, other + " serves " + version);
      assertTrue(
          canaryStarted >= 0 && canaryServes > canaryStarted,
          () -> "the canary serves the version after its claim:\n" + String.join("\n", lines));
      assertTrue(
          promoting > canaryStarted && otherServes > promoting,
          () -> "the other pod serves it only once promoting:\n" + String.join("\n", lines));
    } finally {
      fleet.destroy(); // SIGTERM: the pods stop, then the API stand-in
      if (!fleet.waitFor(120, TimeUnit.SECONDS)) {
        fleet.destroyForcibly();
      }
    }
    assertTrue(
        text(output).contains("local-pod | stopped"),
        () -> "the fleet stops in order on SIGTERM:\n" + text(output));
  }

  private static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }

  private static String text(Path output) {
    try {
      return Files.readString(output, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String greeting(int port) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : "HTTP " + response.statusCode();
    } catch (IOException e) {
      return "down";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "down";
    }
  }

  /** A base port whose four ports, for each pod (plus 100 per pod), are free now. */
  private static int freeBase() {
    while (true) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      if (allFree(base)) {
        return base;
      }
    }
  }

  private static boolean allFree(int base) {
    for (int pod = 0; pod < REPLICAS; pod++) {
      for (int port = 0; port < 4; port++) {
        try (ServerSocket socket =
            new ServerSocket(base + 100 * pod + port, 1, InetAddress.getLoopbackAddress())) {
          socket.setReuseAddress(true);
        } catch (IOException e) {
          return false;
        }
      }
    }
    return true;
  }
}
