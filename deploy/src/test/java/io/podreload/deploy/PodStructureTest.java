package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pod that DESIGN.md describes, in every variant of the manifests. */
class PodStructureTest {
  private static final String VARIANTS = "io.podreload.deploy.Variants#names";

  /** ENDPOINTS_ALL_PORT's default (DESIGN.md). */
  static final String APP_MANAGEMENT_PORT = "8090";

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void appIsTheMainContainerAndLoggerThenReloaderAreNativeSidecars(String variant) {
    PodSpec pod = Variants.get(variant).pod();

    assertThat(pod.getContainers()).extracting(Container::getName).containsExactly("app");
    assertThat(pod.getInitContainers())
        .extracting(Container::getName)
        .containsExactly("logger", "reloader");
    assertThat(pod.getInitContainers())
        .allSatisfy(c -> assertThat(c.getRestartPolicy()).as(c.getName()).isEqualTo("Always"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void containersShareThePodsProcessNamespaceButNotTheHosts(String variant) {
    PodSpec pod = Variants.get(variant).pod();

    assertThat(pod.getShareProcessNamespace()).isTrue();
    assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getHostIPC()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void appAndReloaderRunAsTheSameNonRootUserSoTheReloaderMaySignalTheApp(String variant) {
    Manifests m = Variants.get(variant);
    Long app = effective(m, "app", SecurityContext::getRunAsUser, PodSecurityContext::getRunAsUser);
    Long reloader =
        effective(m, "reloader", SecurityContext::getRunAsUser, PodSecurityContext::getRunAsUser);

    assertThat(app).as("app's runAsUser").isNotNull().isNotZero();
    assertThat(reloader).as("reloader's runAsUser").isEqualTo(app);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void everyContainerInitContainersIncludedMeetsTheRestrictedPodSecurityProfile(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.containers())
        .allSatisfy(
            c -> {
              String name = c.getName();
              SecurityContext sc = c.getSecurityContext();
              assertThat(sc).as(name + " securityContext").isNotNull();
              assertThat(
                      effective(
                          m,
                          name,
                          SecurityContext::getRunAsNonRoot,
                          PodSecurityContext::getRunAsNonRoot))
                  .as(name + " runAsNonRoot")
                  .isTrue();
              assertThat(
                      effective(
                          m, name, SecurityContext::getRunAsUser, PodSecurityContext::getRunAsUser))
                  .as(name + " runAsUser")
                  .isNotEqualTo(0L);
              assertThat(sc.getReadOnlyRootFilesystem())
                  .as(name + " readOnlyRootFilesystem")
                  .isTrue();
              assertThat(sc.getAllowPrivilegeEscalation())
                  .as(name + " allowPrivilegeEscalation")
                  .isFalse();
              assertThat(sc.getPrivileged()).as(name + " privileged").isNotEqualTo(Boolean.TRUE);
              assertThat(sc.getCapabilities()).as(name + " capabilities").isNotNull();
              assertThat(sc.getCapabilities().getDrop()).as(name + " drops").contains("ALL");
              // Not even SYS_PTRACE or KILL: the shared UID is what lets the reloader signal.
              assertThat(sc.getCapabilities().getAdd()).as(name + " adds").isNullOrEmpty();
              String seccomp =
                  effective(
                      m,
                      name,
                      s -> s.getSeccompProfile() == null ? null : s.getSeccompProfile().getType(),
                      p -> p.getSeccompProfile() == null ? null : p.getSeccompProfile().getType());
              assertThat(seccomp).as(name + " seccompProfile").isIn("RuntimeDefault", "Localhost");
              assertThat(c.getPorts())
                  .extracting(ContainerPort::getHostPort)
                  .as(name + " hostPort")
                  .containsOnlyNulls();
            });
    assertThat(m.pod().getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void volumesAreMountedWhereTheDesignSaysAndNeverThroughSubPath(String variant) {
    Manifests m = Variants.get(variant);

    Volume config = volumeAt(m, "app", "/etc/app/config");
    assertThat(config.getConfigMap()).as("/etc/app/config is a ConfigMap volume").isNotNull();
    assertThat(config.getConfigMap().getName()).isEqualTo("app-config");
    assertThat(volumeAt(m, "reloader", "/etc/app/config")).isEqualTo(config);

    Volume run = volumeAt(m, "app", "/run/app");
    assertThat(run.getEmptyDir()).as("/run/app is an emptyDir").isNotNull();
    assertThat(run.getEmptyDir().getMedium()).as("/run/app is kept in memory").isEqualTo("Memory");
    assertThat(volumeAt(m, "reloader", "/run/app")).isEqualTo(run);

    Volume logs = volumeAt(m, "app", "/var/log/app");
    assertThat(logs.getEmptyDir()).as("/var/log/app is an emptyDir").isNotNull();
    assertThat(volumeAt(m, "logger", "/var/log/app")).isEqualTo(logs);
    assertThat(volumeAt(m, "logger", "/var/lib/logger").getEmptyDir()).isNotNull();

    assertThat(mount(m, "app", "/etc/app/config").getReadOnly()).isTrue();
    assertThat(mount(m, "reloader", "/etc/app/config").getReadOnly()).isTrue();
    assertThat(mount(m, "logger", "/var/log/app").getReadOnly()).isTrue();
    // The kubelet updates a ConfigMap volume by swapping ..data; a subPath mount never sees it.
    assertThat(m.containers())
        .flatExtracting(Container::getVolumeMounts)
        .allSatisfy(v -> assertThat(v.getSubPath()).as(v.getMountPath()).isNullOrEmpty())
        .allSatisfy(v -> assertThat(v.getSubPathExpr()).as(v.getMountPath()).isNullOrEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void eachJvmWritesToItsOwnTmpBecauseTheRootFilesystemIsReadOnly(String variant) {
    Manifests m = Variants.get(variant);

    List<Volume> tmps = m.containers().stream().map(c -> volumeAt(m, c.getName(), "/tmp")).toList();
    assertThat(tmps).allSatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(tmps).extracting(Volume::getName).doesNotHaveDuplicates();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void everyContainerHasStartupReadinessAndLivenessProbesOnAPortItDeclares(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.containers())
        .allSatisfy(
            c -> {
              for (Probe probe :
                  Arrays.asList(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
                assertThat(probe).as(c.getName() + " probes").isNotNull();
                HTTPGetAction get = probe.getHttpGet();
                assertThat(get).as(c.getName() + " probes over HTTP").isNotNull();
                assertThat(get.getPath()).startsWith("/health");
                assertThat(c.getPorts())
                    .extracting(ContainerPort::getName)
                    .as(c.getName() + " declares the probed port")
                    .contains(get.getPort().getStrVal());
              }
            });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void eachContainerDeclaresThePortItsProgramListensOn(String variant) {
    Manifests m = Variants.get(variant);
    String reference = Repo.read(ConfigurationReference.PATH);

    for (var entry :
        Map.of(
                "app", "MICRONAUT_SERVER_PORT",
                "reloader", "RELOADER_HTTP_PORT",
                "logger", "LOGGER_HTTP_PORT")
            .entrySet()) {
      // The documented default (docs/configuration.md), unless the manifest sets the variable.
      Matcher documented =
          Pattern.compile("\\| `" + entry.getValue() + "` \\| `(\\d+)` \\|").matcher(reference);
      assertThat(documented.find()).as(entry.getValue() + " default documented").isTrue();
      int port =
          Integer.parseInt(
              m.envValue(entry.getKey(), entry.getValue()).orElse(documented.group(1)));
      List<Integer> expected = new ArrayList<>(List.of(port));
      if (entry.getKey().equals("app")) {
        // Micronaut's management port (ENDPOINTS_ALL_PORT): health, metrics, /config.
        expected.add(
            Integer.parseInt(m.envValue("app", "ENDPOINTS_ALL_PORT").orElse(APP_MANAGEMENT_PORT)));
      }
      assertThat(m.container(entry.getKey()).getPorts())
          .extracting(ContainerPort::getContainerPort)
          .as(entry.getKey())
          .containsExactlyElementsOf(expected);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void aFailingConfigSourceNeverTakesTheAppOutOfTheService(String variant) {
    Container reloader = Variants.get(variant).container("reloader");

    // The reloader's full /health fails while a source fails; the pod's readiness includes the
    // sidecar's, so only "started" may decide it, and liveness only "alive".
    assertThat(reloader.getStartupProbe().getHttpGet().getPath()).isEqualTo("/health/readiness");
    assertThat(reloader.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/readiness");
    assertThat(reloader.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/liveness");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void probesSayWhatTheyMeanOnEachProgramsManagementPort(String variant) {
    Manifests m = Variants.get(variant);

    for (Container c : m.containers()) {
      assertThat(c.getLivenessProbe().getHttpGet().getPath())
          .as(c.getName() + " liveness: alive and making progress")
          .isEqualTo("/health/liveness");
      assertThat(c.getReadinessProbe().getHttpGet().getPath())
          .as(c.getName() + " readiness: can do its job (a sidecar: started)")
          .isEqualTo("/health/readiness");
      assertThat(c.getStartupProbe().getHttpGet().getPath())
          .as(c.getName() + " startup: never /health, which a dependency's outage turns DOWN")
          .isIn("/health/liveness", "/health/readiness");
    }
    // The app's probes never go to the business port, which the Service serves.
    Container app = m.container("app");
    for (Probe p :
        List.of(app.getStartupProbe(), app.getReadinessProbe(), app.getLivenessProbe())) {
      assertThat(p.getHttpGet().getPort().getStrVal()).isEqualTo("management");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void kubernetesAddsNoServiceVariablesThatTheAppWouldReadAsItsSettings(String variant) {
    assertThat(Variants.get(variant).pod().getEnableServiceLinks()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void everyContainerRequestsMemoryAndIsLimitedAboveItsRequest(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.containers())
        .allSatisfy(
            c -> {
              Quantity request = c.getResources().getRequests().get("memory");
              Quantity limit = c.getResources().getLimits().get("memory");
              assertThat(request).as(c.getName() + " memory request").isNotNull();
              assertThat(limit).as(c.getName() + " memory limit").isNotNull();
              assertThat(Quantity.getAmountInBytes(limit))
                  .as(c.getName() + " limit >= request")
                  .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(request));
            });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void containersThatWriteToDiskBackedVolumesRequestAndLimitEphemeralStorageToCoverThem(
      String variant) {
    Manifests m = Variants.get(variant);
    BigDecimal sizeLimits = BigDecimal.ZERO;
    BigDecimal limits = BigDecimal.ZERO;

    for (Volume v : m.pod().getVolumes()) {
      if (v.getEmptyDir() != null && !"Memory".equals(v.getEmptyDir().getMedium())) {
        assertThat(v.getEmptyDir().getSizeLimit()).as(v.getName() + " sizeLimit").isNotNull();
        sizeLimits = sizeLimits.add(Quantity.getAmountInBytes(v.getEmptyDir().getSizeLimit()));
      }
    }
    for (Container c : m.containers()) {
      Quantity request = c.getResources().getRequests().get("ephemeral-storage");
      Quantity limit = c.getResources().getLimits().get("ephemeral-storage");
      assertThat(request).as(c.getName() + " ephemeral-storage request").isNotNull();
      assertThat(limit).as(c.getName() + " ephemeral-storage limit").isNotNull();
      assertThat(Quantity.getAmountInBytes(limit))
          .as(c.getName() + " ephemeral-storage limit >= request")
          .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(request));
      BigDecimal written = BigDecimal.ZERO;
      for (VolumeMount mount : c.getVolumeMounts()) {
        Volume v = volumeAt(m, c.getName(), mount.getMountPath());
        if (!Boolean.TRUE.equals(mount.getReadOnly())
            && v.getEmptyDir() != null
            && !"Memory".equals(v.getEmptyDir().getMedium())) {
          written = written.add(Quantity.getAmountInBytes(v.getEmptyDir().getSizeLimit()));
        }
      }
      assertThat(Quantity.getAmountInBytes(limit))
          .as(c.getName() + " ephemeral-storage limit covers the emptyDirs it writes")
          .isGreaterThanOrEqualTo(written);
      limits = limits.add(Quantity.getAmountInBytes(limit));
    }
    // The kubelet evicts the pod when all its disk use passes the sum of its containers' limits.
    assertThat(limits).as("the pod's ephemeral-storage limit").isGreaterThan(sizeLimits);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void reloaderAndAppAgreeOnTheStatusFileAndTheDirsTheReloaderRenders(String variant) {
    Manifests m = Variants.get(variant);
    Settings app = Settings.of(m, "app");
    Settings reloader = Settings.of(m, "reloader");

    assertThat(reloader.get("RELOADER_STATUS_FILE")).isEqualTo(app.get("APP_STATUS_FILE"));
    if ("progressive".equals(reloader.getOrDefault("RELOADER_ROLLOUT", "all-at-once"))) {
      // docs/rollout.md: the app reads what the rollout rendered, never the ConfigMap's volume.
      assertThat(app.list("APP_CONFIG_DIRS"))
          .doesNotContainAnyElementsOf(reloader.list("RELOADER_VOLUME_DIRS"))
          .contains(reloader.get("RELOADER_RENDER_DIR"), reloader.get("RELOADER_SECRETS_DIR"));
    } else {
      assertThat(app.list("APP_CONFIG_DIRS"))
          .startsWith(reloader.list("RELOADER_VOLUME_DIRS").toArray(String[]::new))
          .contains(reloader.get("RELOADER_RENDER_DIR"), reloader.get("RELOADER_SECRETS_DIR"));
    }
    assertThat(app.list("APP_SECRET_DIRS")).containsExactly(reloader.get("RELOADER_SECRETS_DIR"));
    for (String dir : reloader.list("RELOADER_VOLUME_DIRS")) {
      assertThat(volumeAt(m, "reloader", dir).getConfigMap()).as(dir).isNotNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void loggerFollowsTheAccessLogTheAppWritesAndKeepsItsPlaceOnAVolume(String variant) {
    Manifests m = Variants.get(variant);
    Settings app = Settings.of(m, "app");
    Settings logger = Settings.of(m, "logger");

    assertThat(logger.list("LOGGER_FILES")).contains(app.get("APP_ACCESS_LOG"));
    assertThat(app.get("APP_ACCESS_LOG")).startsWith("/var/log/app/");
    assertThat(volumeAt(m, "logger", logger.get("LOGGER_STATE_DIR")).getEmptyDir()).isNotNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void reloaderTargetsTheAppsCommandLineAndNeitherSidecars(String variant) {
    Pattern target =
        Pattern.compile(
            Settings.of(Variants.get(variant), "reloader").get("RELOADER_TARGET_CMDLINE"));

    // Each image runs `java @/app/jvm.options -jar /app/<program>.jar`.
    assertThat(target.matcher(commandLine("app")).find()).isTrue();
    assertThat(target.matcher(commandLine("reloader")).find()).isFalse();
    assertThat(target.matcher(commandLine("logger")).find()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void noServiceAccountTokenReachesThePodExceptIntoTheReloader(String variant) {
    Manifests m = Variants.get(variant);
    String account = m.pod().getServiceAccountName();

    assertThat(m.pod().getAutomountServiceAccountToken()).isFalse();
    assertThat(m.one(ServiceAccount.class, account).getAutomountServiceAccountToken()).isFalse();
    assertThat(m.containers())
        .filteredOn(c -> !c.getName().equals("reloader"))
        .flatExtracting(Container::getVolumeMounts)
        .extracting(VolumeMount::getMountPath)
        .noneMatch(p -> p.startsWith("/var/run/secrets"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void serviceSendsPort80ToTheAppsHttpPort(String variant) {
    Manifests m = Variants.get(variant);
    Service service = m.one(Service.class, "app");

    assertThat(service.getSpec().getPorts()).hasSize(1);
    assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(80);
    String target = service.getSpec().getPorts().get(0).getTargetPort().getStrVal();
    assertThat(m.container("app").getPorts())
        .filteredOn(p -> target.equals(p.getName()))
        .extracting(ContainerPort::getContainerPort)
        .containsExactly(8080);
    assertThat(m.deployment().getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(VARIANTS)
  void theAppsShutdownAndThenTheLoggersDrainFitInTheGracePeriod(String variant) {
    Manifests m = Variants.get(variant);
    Container app = m.container("app");
    long preStop =
        Optional.ofNullable(app.getLifecycle())
            .map(l -> l.getPreStop())
            .map(h -> h.getSleep() == null ? 0L : h.getSleep().getSeconds())
            .orElse(0L);
    // Each program's own stop, from the manifest's value or the documented default (0 where a
    // program documents no such setting).
    long delay = seconds(m, "app", "APP_SHUTDOWN_DELAY");
    long drain = seconds(m, "logger", "LOGGER_SHUTDOWN_TIMEOUT");

    assertThat(drain).as("the logger's drain is documented").isPositive();
    assertThat(m.pod().getTerminationGracePeriodSeconds())
        .as(
            "preStop %d s + APP_SHUTDOWN_DELAY %d s + graceful shutdown %d s + reloader %d s +"
                + " LOGGER_SHUTDOWN_TIMEOUT %d s",
            preStop, delay, APP_GRACEFUL_SHUTDOWN_SECONDS, RELOADER_STOP_SECONDS, drain)
        .isGreaterThanOrEqualTo(
            preStop + delay + APP_GRACEFUL_SHUTDOWN_SECONDS + RELOADER_STOP_SECONDS + drain);
  }

  /** Micronaut's graceful shutdown: requests in flight get this long (docs/configuration.md). */
  static final long APP_GRACEFUL_SHUTDOWN_SECONDS = 15;

  /** The reloader closes its sources and exits: well under a second; this is a margin. */
  static final long RELOADER_STOP_SECONDS = 5;

  /** A duration setting of {@code container}: the manifest's, else the documented default. */
  static long seconds(Manifests m, String container, String name) {
    String value =
        m.envValue(container, name)
            .orElseGet(
                () -> {
                  Matcher documented =
                      Pattern.compile("\\| `" + name + "` \\| `([^`]+)` \\|")
                          .matcher(Repo.read(ConfigurationReference.PATH));
                  return documented.find() ? documented.group(1) : "0s";
                });
    Matcher d = Pattern.compile("(\\d+)(ms|s|m)").matcher(value);
    assertThat(d.matches()).as(name + " = " + value).isTrue();
    long n = Long.parseLong(d.group(1));
    return switch (d.group(2)) {
      case "ms" -> (n + 999) / 1000;
      case "m" -> n * 60;
      default -> n;
    };
  }

  static String commandLine(String program) {
    return "java @/app/jvm.options -jar /app/" + program + ".jar";
  }

  /** The container's setting if it sets it, else the pod's. */
  static <T> T effective(
      Manifests m,
      String container,
      Function<SecurityContext, T> own,
      Function<PodSecurityContext, T> pods) {
    T value =
        Optional.ofNullable(m.container(container).getSecurityContext()).map(own).orElse(null);
    if (value != null) {
      return value;
    }
    return Optional.ofNullable(m.pod().getSecurityContext()).map(pods).orElse(null);
  }

  static VolumeMount mount(Manifests m, String container, String path) {
    return m.container(container).getVolumeMounts().stream()
        .filter(v -> path.equals(v.getMountPath()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(container + " mounts nothing at " + path));
  }

  static Volume volumeAt(Manifests m, String container, String path) {
    String name = mount(m, container, path).getName();
    return m.pod().getVolumes().stream()
        .filter(v -> name.equals(v.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name + " for " + path));
  }
}
