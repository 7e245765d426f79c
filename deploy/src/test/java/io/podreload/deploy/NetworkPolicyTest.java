package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pod is fenced: who may reach which port, and in prod, what the pod may reach. */
class NetworkPolicyTest {
  static final int BUSINESS_PORT = 8080;

  /** The app's management port (ENDPOINTS_ALL_PORT), the reloader's and the logger's. */
  static final Set<Integer> MANAGEMENT_PORTS = Set.of(8090, 8081, 8082);

  static List<String> restrictingEgress() {
    return Variants.names().stream().filter(n -> n.startsWith(Variants.PROD)).toList();
  }

  static List<String> notRestrictingEgress() {
    return Variants.names().stream().filter(n -> !n.startsWith(Variants.PROD)).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void thePodIsSelectedByAnIngressPolicy(String variant) {
    Manifests m = Variants.get(variant);
    NetworkPolicy policy = m.one(NetworkPolicy.class, "app");

    assertThat(policy.getSpec().getPolicyTypes()).contains("Ingress");
    assertThat(m.deployment().getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
    assertThat(policy.getSpec().getPodSelector().getMatchLabels()).isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void theBusinessPortIsOpenAndTheManagementPortsOnlyToAMonitoringNamespace(String variant) {
    Manifests m = Variants.get(variant);
    List<NetworkPolicyIngressRule> rules = m.one(NetworkPolicy.class, "app").getSpec().getIngress();

    assertThat(rules)
        .filteredOn(r -> r.getFrom().isEmpty())
        .as("rules open to everyone")
        .flatExtracting(r -> ports(r.getPorts()))
        .containsExactly(BUSINESS_PORT);
    assertThat(rules)
        .filteredOn(r -> !r.getFrom().isEmpty())
        .as("rules open to some")
        .allSatisfy(r -> assertThat(r.getFrom()).allSatisfy(NetworkPolicyTest::isMonitoring))
        .flatExtracting(r -> ports(r.getPorts()))
        .containsExactlyInAnyOrderElementsOf(MANAGEMENT_PORTS);
    // Every port a container declares is covered by one rule or the other.
    assertThat(m.containers())
        .flatExtracting(c -> c.getPorts())
        .extracting(ContainerPort::getContainerPort)
        .allSatisfy(p -> assertThat(p).isIn(union(BUSINESS_PORT, MANAGEMENT_PORTS)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notRestrictingEgress")
  void egressIsLeftOpenOutsideProd(String variant) {
    assertThat(Variants.get(variant).all(NetworkPolicy.class))
        .allSatisfy(p -> assertThat(p.getSpec().getPolicyTypes()).doesNotContain("Egress"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("restrictingEgress")
  void prodReachesDnsAndOnlyWhatItsComponentsNeed(String variant) {
    Manifests m = Variants.get(variant);
    NetworkPolicy egress = m.one(NetworkPolicy.class, "app-egress");
    List<NetworkPolicyEgressRule> rules = egress.getSpec().getEgress();
    Settings reloader = Settings.of(m, "reloader");
    Settings logger = Settings.of(m, "logger");

    assertThat(egress.getSpec().getPolicyTypes()).containsExactly("Egress");
    assertThat(m.deployment().getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(egress.getSpec().getPodSelector().getMatchLabels());
    NetworkPolicyEgressRule dns = rules.get(0);
    assertThat(dns.getPorts())
        .extracting(NetworkPolicyPort::getProtocol, p -> p.getPort().getIntVal())
        .containsExactlyInAnyOrder(tuple("UDP", 53), tuple("TCP", 53));
    assertThat(dns.getTo())
        .singleElement()
        .satisfies(
            to ->
                assertThat(to.getPodSelector().getMatchLabels())
                    .containsEntry("k8s-app", "kube-dns"));

    Set<String> expected = new TreeSet<>();
    reloader.optional("VAULT_ADDR").ifPresent(url -> expected.add(destination(url)));
    logger.optional("LOGGER_ELASTICSEARCH_URL").ifPresent(url -> expected.add(destination(url)));
    boolean api =
        m.pod().getVolumes().stream().anyMatch(v -> v.getName().equals("reloader-api-token"));
    if (api) {
      expected.add("*:443");
      expected.add("*:6443");
    }
    Set<String> allowed = new TreeSet<>();
    for (NetworkPolicyEgressRule rule : rules.subList(1, rules.size())) {
      for (int port : ports(rule.getPorts())) {
        if (rule.getTo().isEmpty()) {
          allowed.add("*:" + port);
        }
        for (NetworkPolicyPeer to : rule.getTo()) {
          allowed.add(
              to.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name")
                  + ":"
                  + port);
        }
      }
    }
    assertThat(allowed).isEqualTo(expected);
  }

  /** namespace:port of an http(s)://service.namespace.svc[:port] URL. */
  static String destination(String url) {
    URI uri = URI.create(url);
    String[] host = uri.getHost().split("\\.");
    int port = uri.getPort() > 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
    return host[1] + ":" + port;
  }

  static boolean isMonitoring(NetworkPolicyPeer peer) {
    return peer.getPodSelector() == null
        && peer.getIpBlock() == null
        && peer.getNamespaceSelector() != null
        && !peer.getNamespaceSelector().getMatchLabels().isEmpty();
  }

  static List<Integer> ports(List<NetworkPolicyPort> ports) {
    return ports.stream().map(NetworkPolicyPort::getPort).map(IntOrString::getIntVal).toList();
  }

  private static Set<Integer> union(int one, Set<Integer> more) {
    return Stream.concat(Stream.of(one), more.stream()).collect(Collectors.toSet());
  }
}
