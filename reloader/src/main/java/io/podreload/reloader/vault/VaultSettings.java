package io.podreload.reloader.vault;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The Vault source's settings. {@code RELOADER_VAULT_*} variables bind here by name ({@code
 * RELOADER_VAULT_POLL_INTERVAL} is {@code reloader.vault.poll-interval}); the standard Vault client
 * variables ({@code VAULT_ADDR}, {@code VAULT_NAMESPACE}, {@code VAULT_CACERT}) and {@code
 * RELOADER_SECRETS_DIR} are mapped in application.yml. Checked by {@link #check()} only when the
 * source starts: a reloader without the Vault source needs none of them.
 *
 * @param address {@code VAULT_ADDR}
 * @param token {@code VAULT_TOKEN}, for {@code auth=token}: read from the environment, never a
 *     property
 * @param tokenFile a file holding the token (re-read on every login), wins over {@code token}
 * @param namespace {@code VAULT_NAMESPACE}, sent as {@code X-Vault-Namespace}
 * @param caCert {@code VAULT_CACERT}: a PEM file of the CA that signed Vault's certificate
 * @param path the secret as {@code vault kv get} takes it, mount included: {@code secret/app}
 * @param mount the KV mount when it has more than one segment; default: the first segment of path
 * @param kvVersion 1 or 2, the version of the KV secrets engine
 * @param auth {@code token} or {@code kubernetes}
 * @param role the Vault role for Kubernetes auth
 * @param jwtFile the pod's service-account token, for Kubernetes auth
 * @param authMount where the Kubernetes auth method is mounted
 * @param pollInterval how often the secret's version is checked (with 10% jitter)
 * @param timeout connect and read timeout of one call to Vault
 * @param backoffMax the longest wait between attempts while Vault fails
 * @param degradedAfter how long Vault may fail before {@code /health} reports the source degraded
 * @param startTimeout how long start-up waits for a reachable Vault
 * @param secretsDir where the secret is rendered ({@code RELOADER_SECRETS_DIR})
 * @param file the name of the properties file rendered into the secrets dir
 * @param fileMode {@code 0400} or {@code 0440}
 */
@ConfigurationProperties("reloader.vault")
public record VaultSettings(
    @Nullable String address,
    @Nullable String token,
    @Nullable Path tokenFile,
    @Nullable String namespace,
    @Nullable String caCert,
    @Nullable String path,
    @Nullable String mount,
    @Bindable(defaultValue = "2") int kvVersion,
    @Bindable(defaultValue = "token") String auth,
    @Nullable String role,
    @Bindable(defaultValue = "/var/run/secrets/kubernetes.io/serviceaccount/token") Path jwtFile,
    @Bindable(defaultValue = "kubernetes") String authMount,
    @Bindable(defaultValue = "30s") Duration pollInterval,
    @Bindable(defaultValue = "5s") Duration timeout,
    @Bindable(defaultValue = "60s") Duration backoffMax,
    @Bindable(defaultValue = "2m") Duration degradedAfter,
    @Bindable(defaultValue = "30s") Duration startTimeout,
    @Bindable(defaultValue = "/run/app/secrets") Path secretsDir,
    @Bindable(defaultValue = "vault.properties") String file,
    @Bindable(defaultValue = "0400") String fileMode) {

  /**
   * The token never becomes a Micronaut property (a property's value is logged at trace level when
   * it is resolved, and Application keeps VAULT_TOKEN out of the environment property source): it
   * is read from the environment here, or from {@code tokenFile}.
   */
  public VaultSettings {
    if (token == null) {
      token = System.getenv("VAULT_TOKEN");
    }
  }

  static final String AUTH_TOKEN = "token";
  static final String AUTH_KUBERNETES = "kubernetes";

  /**
   * Every problem with these settings, each naming the variable to set; empty when they are usable.
   */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (isBlank(address)) {
      problems.add("VAULT_ADDR is not set (e.g. https://vault.vault.svc:8200)");
    } else if (!address.startsWith("http://") && !address.startsWith("https://")) {
      problems.add("VAULT_ADDR must start with http:// or https://");
    }
    if (isBlank(path) || !path.strip().contains("/")) {
      problems.add(
          "RELOADER_VAULT_PATH must name a secret with its mount, as `vault kv get` takes it"
              + " (e.g. secret/app)");
    } else if (!isBlank(mount) && !kvPath().startsWith(mountName() + "/")) {
      problems.add("RELOADER_VAULT_MOUNT must be the start of RELOADER_VAULT_PATH");
    }
    if (kvVersion != 1 && kvVersion != 2) {
      problems.add("RELOADER_VAULT_KV_VERSION must be 1 or 2");
    }
    if (AUTH_TOKEN.equals(auth)) {
      if (isBlank(token) && tokenFile == null) {
        problems.add("auth=token needs VAULT_TOKEN or RELOADER_VAULT_TOKEN_FILE");
      }
    } else if (AUTH_KUBERNETES.equals(auth)) {
      if (isBlank(role)) {
        problems.add("auth=kubernetes needs RELOADER_VAULT_ROLE (the Vault role of this pod)");
      }
    } else {
      problems.add("RELOADER_VAULT_AUTH must be token or kubernetes");
    }
    if (fileMode == null || filePermissions() == null) {
      problems.add("RELOADER_VAULT_FILE_MODE must be 0400 or 0440");
    }
    if (isBlank(file) || file.contains("/") || !file.endsWith(".properties")) {
      problems.add("RELOADER_VAULT_FILE must be a plain file name ending in .properties");
    }
    for (Duration duration : List.of(pollInterval, timeout, backoffMax, degradedAfter)) {
      if (duration.isNegative() || duration.isZero()) {
        problems.add("the Vault durations must be positive (e.g. 30s, 2m)");
        break;
      }
    }
    return problems;
  }

  /** The secret's path without surrounding slashes: {@code secret/app}. */
  String kvPath() {
    return strip(path);
  }

  /** The KV mount: {@code secret}. */
  String mountName() {
    if (!isBlank(mount)) {
      return strip(mount);
    }
    String kv = kvPath();
    return kv.substring(0, kv.indexOf('/'));
  }

  /** The secret's path inside its mount: {@code app}. */
  String secretName() {
    return kvPath().substring(mountName().length() + 1);
  }

  boolean kubernetesAuth() {
    return AUTH_KUBERNETES.equals(auth);
  }

  /** The payload file's mode, or null when the setting is not one of the two allowed. */
  @Nullable
  Set<PosixFilePermission> filePermissions() {
    return switch (fileMode.strip()) {
      case "0400", "400" -> PosixFilePermissions.fromString("r--------");
      case "0440", "440" -> PosixFilePermissions.fromString("r--r-----");
      default -> null;
    };
  }

  @Nullable
  Path caCertFile() {
    return isBlank(caCert) ? null : Path.of(caCert.strip());
  }

  @Nullable
  String namespaceOrNull() {
    return isBlank(namespace) ? null : namespace.strip();
  }

  @Nullable
  String tokenOrNull() {
    return isBlank(token) ? null : token.strip();
  }

  /** The settings with the token redacted, for the start-up log line. */
  @Override
  public String toString() {
    return "address="
        + address
        + " path="
        + path
        + " kvVersion="
        + kvVersion
        + " auth="
        + auth
        + (kubernetesAuth()
            ? " role=" + role + " authMount=" + authMount + " jwtFile=" + jwtFile
            : " token="
                + (tokenOrNull() == null ? "unset" : "<redacted>")
                + " tokenFile="
                + tokenFile)
        + " namespace="
        + namespaceOrNull()
        + " pollInterval="
        + pollInterval
        + " secretsDir="
        + secretsDir
        + "/"
        + file
        + " fileMode="
        + fileMode;
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  private static String strip(String value) {
    String result = value.strip();
    while (result.startsWith("/")) {
      result = result.substring(1);
    }
    while (result.endsWith("/")) {
      result = result.substring(0, result.length() - 1);
    }
    return result;
  }
}
