package io.podreload.deploy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Renders a kustomization the way users apply it: {@code kubectl kustomize DIR}. */
final class Kustomize {
  private static final String MISSING =
      "kubectl is not on the PATH, so the manifests cannot be rendered and the tests that check"
          + " them are skipped. Install kubectl (it bundles kustomize) to run them.";
  private static final boolean AVAILABLE = probe();

  private Kustomize() {}

  /** Skips the calling test, saying why, when kubectl is not installed. */
  static void assumeKubectl() {
    assumeTrue(AVAILABLE, MISSING);
  }

  /** The YAML that {@code kubectl kustomize dir} prints; fails with kubectl's own error. */
  static String render(Path dir) {
    assumeKubectl();
    try {
      Path errors = Files.createTempFile("kustomize", ".err");
      try {
        Process process =
            new ProcessBuilder("kubectl", "kustomize", dir.toString())
                .redirectError(errors.toFile())
                .start();
        process.getOutputStream().close();
        String yaml = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("kubectl kustomize " + dir + " did not finish in 60 s");
        }
        if (process.exitValue() != 0) {
          throw new AssertionError(
              "kubectl kustomize " + dir + " failed:\n" + Files.readString(errors));
        }
        return yaml;
      } finally {
        Files.deleteIfExists(errors);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while rendering " + dir, e);
    }
  }

  /**
   * Renders {@code resource} with {@code components} added, through a kustomization written in a
   * temporary dir (kustomize takes only relative paths to them).
   */
  static String renderWith(Path resource, List<Path> components) {
    assumeKubectl();
    try {
      Path dir = Files.createTempDirectory("kustomize-variant");
      try {
        StringBuilder k = new StringBuilder();
        k.append("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
        k.append("resources:\n  - ").append(relative(dir, resource)).append('\n');
        k.append("components:\n");
        for (Path component : components) {
          k.append("  - ").append(relative(dir, component)).append('\n');
        }
        Files.writeString(dir.resolve("kustomization.yaml"), k);
        return render(dir);
      } finally {
        Files.deleteIfExists(dir.resolve("kustomization.yaml"));
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String relative(Path from, Path to) {
    return from.toAbsolutePath().relativize(to.toAbsolutePath()).toString();
  }

  private static boolean probe() {
    try {
      Process process =
          new ProcessBuilder("kubectl", "version", "--client")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      boolean ok = process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
      if (!ok) {
        process.destroyForcibly();
        System.err.println(MISSING);
      }
      return ok;
    } catch (IOException e) {
      System.err.println(MISSING);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
