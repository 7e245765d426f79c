package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The quickstart in docs/operations.md cannot run here (no cluster), so everything in it that can
 * be checked offline is: the scripts and their options exist, the overlay renders, and every
 * namespace, resource, container, port and config key the commands name is in its rendering.
 */
class QuickstartTest {
  private static final String HEADING =
      "## Quickstart: from a clone to a reload on kind or minikube";
  private static final Pattern PORT_FORWARD =
      Pattern.compile("port-forward (svc|deploy)/(\\S+) (\\d+):(\\d+)");
  private static final Pattern CURL = Pattern.compile("curl -s http://localhost:(\\d+)(/\\S*)");

  static List<Command> commands;
  static Manifests dev;

  record Command(String line, String comment) {}

  @BeforeAll
  static void readQuickstart() {
    String doc = Repo.read("docs/operations.md");
    int start = doc.indexOf(HEADING);
    assertThat(start).as(HEADING).isNotNegative();
    int end = doc.indexOf("\n## ", start + HEADING.length());
    String section = doc.substring(start, end < 0 ? doc.length() : end);
    commands = new ArrayList<>();
    boolean inBlock = false;
    StringBuilder pending = new StringBuilder();
    for (String raw : section.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("```")) {
        inBlock = !inBlock;
        continue;
      }
      if (!inBlock || line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1);
        continue;
      }
      String full = pending.append(line).toString();
      pending.setLength(0);
      int hash = full.indexOf(" # ");
      commands.add(
          hash < 0
              ? new Command(full.strip(), "")
              : new Command(full.substring(0, hash).strip(), full.substring(hash + 3).strip()));
    }
    dev = Variants.get(Variants.DEV);
  }

  @Test
  void theQuickstartBuildsLoadsAppliesForwardsEditsChecksAndReadsTheLogs() {
    assertThat(commands)
        .extracting(Command::line)
        .anyMatch(l -> l.startsWith("bin/images build"))
        .anyMatch(l -> l.startsWith("bin/images load kind"))
        .anyMatch(l -> l.startsWith("kubectl apply -k kustomize/overlays/dev"))
        .anyMatch(l -> l.contains(" port-forward "))
        .anyMatch(l -> l.contains(" patch configmap app-config "))
        .anyMatch(l -> l.startsWith("curl "))
        .anyMatch(l -> l.contains(" logs deploy/app -c logger"));
  }

  @Test
  void everyScriptAndOptionItCallsExistsAndItsHelpNamesThem() throws Exception {
    for (Command c : commands) {
      if (!c.line().startsWith("bin/")) {
        continue;
      }
      String[] words = c.line().split("\\s+");
      assertThat(Files.isExecutable(Repo.path(words[0]))).as(words[0]).isTrue();
      String help = ImagesTest.run(List.of(words[0], "--help")).output();
      assertThat(help).as(c.line()).contains("  " + words[1]);
      for (String word : words) {
        if (word.startsWith("--")) {
          assertThat(help).as(c.line() + ": " + word).contains(word);
        }
      }
      if (words.length > 2 && words[1].equals("load")) {
        assertThat(words[2]).isIn("kind", "minikube");
      }
      if (c.line().contains("--overlay ")) {
        String overlay = c.line().replaceAll(".*--overlay (\\S+).*", "$1");
        assertThat(Repo.path(overlay).resolve("kustomization.yaml")).exists();
      }
    }
  }

  @Test
  void kubectlNamesTheOverlaysNamespaceAndResourcesThatItRenders() {
    String namespace = dev.deployment().getMetadata().getNamespace();
    for (Command c : commands) {
      String line = c.line();
      if (!line.startsWith("kubectl ")) {
        continue;
      }
      Matcher ns = Pattern.compile(" -n (\\S+)").matcher(line);
      if (ns.find()) {
        assertThat(ns.group(1)).as(line).isEqualTo(namespace);
      }
      Matcher k = Pattern.compile(" -k (\\S+)").matcher(line);
      if (k.find()) {
        assertThat(k.group(1)).isEqualTo("kustomize/overlays/dev");
      }
      if (line.contains("deploy/app")) {
        assertThat(dev.deployment()).isNotNull();
      }
      Matcher container = Pattern.compile(" -c (\\S+)").matcher(line);
      if (container.find()) {
        assertThat(dev.containers()).extracting(Container::getName).contains(container.group(1));
      }
      Matcher configMap = Pattern.compile("configmap (\\S+)").matcher(line);
      if (configMap.find()) {
        assertThat(dev.find(ConfigMap.class, configMap.group(1))).as(line).isPresent();
      }
    }
  }

  @Test
  void theForwardedPortsAreTheServicesAndTheManagementPortAndCurlUsesTheRightOne()
      throws Exception {
    Map<Integer, Integer> forwardedTo = new HashMap<>();
    for (Command c : commands) {
      Matcher pf = PORT_FORWARD.matcher(c.line());
      if (!pf.find()) {
        continue;
      }
      int remote = Integer.parseInt(pf.group(4));
      if (pf.group(1).equals("svc")) {
        ServicePort port =
            dev.one(Service.class, pf.group(2)).getSpec().getPorts().stream()
                .filter(p -> p.getPort() == remote)
                .findFirst()
                .orElseThrow(() -> new AssertionError("Service has no port " + remote));
        int target =
            dev.container("app").getPorts().stream()
                .filter(p -> p.getName().equals(port.getTargetPort().getStrVal()))
                .findFirst()
                .orElseThrow()
                .getContainerPort();
        forwardedTo.put(Integer.parseInt(pf.group(3)), target);
      } else {
        assertThat(dev.containers())
            .flatExtracting(Container::getPorts)
            .extracting(ContainerPort::getContainerPort)
            .as(c.line())
            .contains(remote);
        forwardedTo.put(Integer.parseInt(pf.group(3)), remote);
      }
    }
    List<String> greetings = new ArrayList<>();
    for (Command c : commands) {
      Matcher curl = CURL.matcher(c.line());
      if (!curl.find()) {
        continue;
      }
      Integer podPort = forwardedTo.get(Integer.parseInt(curl.group(1)));
      assertThat(podPort).as(c.line() + " goes through a port-forward").isNotNull();
      String path = curl.group(2);
      // GET / is the business port's; /config, /health and /prometheus the management port's.
      assertThat(podPort)
          .as(c.line())
          .isEqualTo(path.equals("/") ? NetworkPolicyTest.BUSINESS_PORT : 8090);
      if (path.equals("/")) {
        greetings.add(c.comment());
      }
    }
    JsonNode initial =
        Manifests.YAML.readTree(
            dev.one(ConfigMap.class, "app-config").getData().get("application.yml"));
    assertThat(greetings).hasSizeGreaterThanOrEqualTo(2);
    assertThat(greetings.get(0)).isEqualTo(initial.path("app").path("greeting").asText());
    assertThat(greetings.get(greetings.size() - 1)).isEqualTo(editedGreeting());
  }

  @Test
  void theEditIsValidJsonAndYamlForTheConfigMapsOwnKey() throws Exception {
    assertThat(editedGreeting()).isNotBlank();
  }

  @Test
  void kindClusterNameAndTheLoadTargetAgree() {
    String created =
        commands.stream()
            .map(Command::line)
            .filter(l -> l.startsWith("kind create cluster"))
            .findFirst()
            .orElseThrow()
            .replaceAll(".*--name (\\S+).*", "$1");
    assertThat(commands)
        .extracting(Command::line)
        .filteredOn(l -> l.startsWith("bin/images load kind"))
        .allSatisfy(l -> assertThat(l).contains("--cluster " + created));
  }

  /** The greeting the quickstart's patch sets, read as the app would read it. */
  private static String editedGreeting() throws Exception {
    Command patch =
        commands.stream()
            .filter(c -> c.line().contains(" patch configmap app-config "))
            .findFirst()
            .orElseThrow();
    String json = patch.line().replaceAll(".* -p '(.*)'$", "$1");
    JsonNode data = new ObjectMapper().readTree(json).path("data");
    ConfigMap config = dev.one(ConfigMap.class, "app-config");
    List<String> keys = new ArrayList<>();
    data.fieldNames().forEachRemaining(keys::add);
    assertThat(config.getData()).containsKeys(keys.toArray(String[]::new));
    return Manifests.YAML
        .readTree(data.path("application.yml").asText())
        .path("app")
        .path("greeting")
        .asText();
  }
}
