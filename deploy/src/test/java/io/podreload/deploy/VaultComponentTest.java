package io.podreload.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** kustomize/components/vault: Kubernetes auth with a token issued for Vault alone. */
class VaultComponentTest {
  static List<String> vaultVariants() {
    return Variants.including("vault");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vaultVariants")
  void reloaderPollsVaultBesidesTheVolume(String variant) {
    Settings reloader = Settings.of(Variants.get(variant), "reloader");

    assertThat(reloader.sources()).contains("volume", "vault");
    assertThat(reloader.get("VAULT_ADDR")).startsWith("https://");
    assertThat(reloader.get("RELOADER_VAULT_PATH")).contains("/");
    assertThat(reloader.get("RELOADER_VAULT_AUTH")).isEqualTo("kubernetes");
    assertThat(reloader.get("RELOADER_VAULT_ROLE")).isNotBlank();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vaultVariants")
  void reloaderLogsInWithAProjectedTokenWhoseAudienceIsVault(String variant) {
    Manifests m = Variants.get(variant);
    Path jwt = Path.of(Settings.of(m, "reloader").get("RELOADER_VAULT_JWT_FILE"));
    String dir = jwt.getParent().toString();

    Volume volume = PodStructureTest.volumeAt(m, "reloader", dir);
    ServiceAccountTokenProjection token =
        volume.getProjected().getSources().stream()
            .map(VolumeProjection::getServiceAccountToken)
            .filter(Objects::nonNull)
            .filter(t -> t.getPath().equals(jwt.getFileName().toString()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no projected token at " + jwt));
    assertThat(token.getAudience()).isEqualTo("vault");
    assertThat(token.getExpirationSeconds()).isBetween(600L, 3600L);
    assertThat(m.containersMounting(volume.getName())).containsExactly("reloader");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.podreload.deploy.Variants#names")
  void noManifestCarriesAVaultTokenItself(String variant) {
    Manifests m = Variants.get(variant);

    assertThat(m.containers())
        .allSatisfy(c -> assertThat(m.envValue(c.getName(), "VAULT_TOKEN")).isEmpty());
  }
}
