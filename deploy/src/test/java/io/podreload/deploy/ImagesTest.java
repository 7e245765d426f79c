package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The images users build with bin/images, and the names the manifests give them. */
class ImagesTest {
  static final String PLACEHOLDER = "registry.example.com/podreload";
  private static final List<String> PROGRAMS = List.of("app", "reloader", "logger");

  /** Tags that move: a node that has one cached keeps running it (imagePullPolicy IfNotPresent). */
  private static final List<String> MOVING_TAGS = List.of("latest", "dev", "main");

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void everyImageIsNamedWithItsRegistryAndNoneByAMovingTagThatANodeWouldKeepStale(String variant) {
    for (Container c : Variants.get(variant).containers()) {
      String image = c.getImage();
      String host = image.substring(0, image.indexOf('/'));
      assertThat(host).as(c.getName() + ": " + image + " names a registry host").contains(".");
      String tag = image.contains("@") ? null : image.substring(image.lastIndexOf(':') + 1);
      if (!"Always".equals(c.getImagePullPolicy())) {
        assertThat(tag).as(c.getName() + ": " + image).isNotIn(MOVING_TAGS);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"app", "reloader", "logger"})
  void dockerfilesDefaultToAPublicJava17RuntimeAndTakeTheBaseAsABuildArgument(String program) {
    String dockerfile = Repo.read(program + "/Dockerfile");

    assertThat(dockerfile).contains("ARG JRE_IMAGE=docker.io/library/eclipse-temurin:17-jre\n");
    assertThat(dockerfile.lines().filter(l -> l.startsWith("FROM ")))
        .allSatisfy(l -> assertThat(l).startsWith("FROM ${JRE_IMAGE}"));
  }

  @Test
  void helpExplainsEveryCommandAndAnUnknownOneIsAUsageError() throws Exception {
    Run help = run(List.of("bin/images", "--help"));
    Run unknown = run(List.of("bin/images", "frobnicate"));

    assertThat(help.status()).isZero();
    for (String command :
        List.of(
            "build [--tag T]",
            "push REGISTRY [--tag T]",
            "load kind|minikube [--tag T]",
            "kind load image-archive",
            "minikube image load",
            "overlay DIR",
            "base",
            "tag")) {
      assertThat(help.output()).as("--help names " + command).contains(command);
    }
    assertThat(help.output()).contains("podman", "buildah", "docker", "JRE_IMAGE");
    assertThat(unknown.status()).isEqualTo(2);
  }

  @Test
  void theOverlayCommandPointsAnOverlayAtTheBuiltImagesAndKustomizeRendersThem(@TempDir Path copy)
      throws Exception {
    copyTree(Repo.path("k8s"), copy.resolve("k8s"));
    copyTree(Repo.path("kustomize"), copy.resolve("kustomize"));
    Path dev = copy.resolve("kustomize/overlays/dev");
    Path prod = copy.resolve("kustomize/overlays/prod");

    Run byTag = run(List.of("bin/images", "overlay", dev.toString(), "--tag", "dev-0123456789ab"));
    Run byRegistry =
        run(
            List.of(
                "bin/images",
                "overlay",
                prod.toString(),
                "--registry",
                "ghcr.io/you/podreload",
                "--tag",
                "1.0"));
    // Twice: the block is replaced, not appended again.
    run(List.of("bin/images", "overlay", dev.toString(), "--tag", "dev-0123456789ab"));

    assertThat(byTag.status()).as(byTag.output()).isZero();
    assertThat(byRegistry.status()).as(byRegistry.output()).isZero();
    assertThat(images(Manifests.parse("dev copy", Kustomize.render(dev))))
        .containsExactly(
            PLACEHOLDER + "/logger:dev-0123456789ab",
            PLACEHOLDER + "/reloader:dev-0123456789ab",
            PLACEHOLDER + "/app:dev-0123456789ab");
    assertThat(images(Manifests.parse("prod copy", Kustomize.render(prod))))
        .containsExactly(
            "ghcr.io/you/podreload/logger:1.0",
            "ghcr.io/you/podreload/reloader:1.0",
            "ghcr.io/you/podreload/app:1.0");
    assertThat(Files.readString(dev.resolve("kustomization.yaml")))
        .containsOnlyOnce("\nimages:\n")
        .contains("debug-logging.yaml", "disableNameSuffixHash");
  }

  /**
   * bin/images push against a stand-in for podman (no registry reachable here) that answers push
   * with a digest the way podman does (--digestfile): push prints the pins, and --overlay pins the
   * overlay by digest so that kustomize renders image@sha256.
   */
  @Test
  void pushPrintsTheDigestsAndTheLinesThatPinThemAndPinsTheOverlay(@TempDir Path copy)
      throws Exception {
    copyTree(Repo.path("k8s"), copy.resolve("k8s"));
    copyTree(Repo.path("kustomize"), copy.resolve("kustomize"));
    Path bin = Files.createDirectories(copy.resolve("bin"));
    Path pushed = copy.resolve("pushed");
    Path podman = bin.resolve("podman");
    Files.writeString(
        podman,
        "#!/usr/bin/env bash\n"
            + "[[ $1 == push && $2 == --digestfile ]] || exit 3\n"
            + "echo \"$4 $5\" >>"
            + pushed
            + "\n"
            + "printf 'sha256:%064d' ${#4} >\"$3\"\n");
    podman.toFile().setExecutable(true);
    Path prod = copy.resolve("kustomize/overlays/prod");

    ProcessBuilder builder =
        new ProcessBuilder(
                "bin/images",
                "push",
                "ghcr.io/you/podreload",
                "--tag",
                "0.1.0",
                "--overlay",
                prod.toString())
            .directory(Repo.ROOT.toFile())
            .redirectErrorStream(true);
    builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    builder.environment().put("IMAGES_ENGINE", "podman");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(process.exitValue()).as(output).isZero();
    assertThat(Files.readAllLines(pushed))
        .containsExactly(
            PLACEHOLDER + "/app:0.1.0 docker://ghcr.io/you/podreload/app:0.1.0",
            PLACEHOLDER + "/reloader:0.1.0 docker://ghcr.io/you/podreload/reloader:0.1.0",
            PLACEHOLDER + "/logger:0.1.0 docker://ghcr.io/you/podreload/logger:0.1.0");
    for (String program : PROGRAMS) {
      String digest =
          String.format("sha256:%064d", (PLACEHOLDER + "/" + program + ":0.1.0").length());
      assertThat(output)
          .contains("ghcr.io/you/podreload/" + program + ":0.1.0@" + digest)
          .contains(
              "kustomize edit set image "
                  + PLACEHOLDER
                  + "/"
                  + program
                  + "=ghcr.io/you/podreload/"
                  + program
                  + "@"
                  + digest);
    }
    assertThat(images(Manifests.parse("prod copy", Kustomize.render(prod))))
        .allSatisfy(i -> assertThat(i).matches("ghcr\\.io/you/podreload/\\w+@sha256:\\d{64}"));
  }

  @Test
  void theLocalOverlayRunsWhatPodInPodmanBuildsWithBinImages() {
    String script = Repo.read("bin/pod-in-podman");
    Matcher build =
        Pattern.compile("bin/images\" build (?:\\$package )?(?:--registry (\\S+) )?--tag (\\S+)")
            .matcher(script);

    assertThat(build.find()).as("bin/pod-in-podman builds its images with bin/images").isTrue();
    String registry = build.group(1) == null ? PLACEHOLDER : build.group(1);
    Manifests local =
        Manifests.parse("local", Kustomize.render(Repo.path("kustomize/overlays/local")));
    List<String> expected = new ArrayList<>();
    for (Container c : local.containers()) {
      String program = c.getName().equals("volume-owner") ? "app" : c.getName();
      expected.add(registry + "/" + program + ":" + build.group(2));
    }
    assertThat(local.containers())
        .extracting(Container::getImage)
        .containsExactlyElementsOf(expected);
  }

  @Test
  void theBaseNamesThePlaceholderRegistryThatTheOverlaysReplace() {
    assertThat(images(Variants.get("base")))
        .allSatisfy(image -> assertThat(image).startsWith(PLACEHOLDER + "/"));
    assertThat(Repo.read("bin/images")).contains("PLACEHOLDER=" + PLACEHOLDER + "\n");
    for (String program : PROGRAMS) {
      assertThat(Repo.read("kustomize/overlays/prod/kustomization.yaml"))
          .contains("- name: " + PLACEHOLDER + "/" + program + "\n");
    }
  }

  static List<String> images(Manifests m) {
    return Stream.concat(
            m.pod().getInitContainers().stream().filter(c -> !"volume-owner".equals(c.getName())),
            m.pod().getContainers().stream())
        .map(Container::getImage)
        .toList();
  }

  record Run(int status, String output) {}

  static Run run(List<String> command) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command).directory(Repo.ROOT.toFile()).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish in 60 s");
    }
    return new Run(process.exitValue(), output);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
