package io.podreload.reloader.vault;

import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import io.micronaut.core.annotation.Nullable;
import io.podreload.reloader.vault.VaultFailure.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The calls the Vault source makes, through the Vault Java driver. Every failure becomes a {@link
 * VaultFailure} with a message written here: the driver's exceptions carry response bodies, so
 * neither their messages nor the exceptions themselves are passed on.
 */
final class VaultClient {

  /** A token and what Vault said about its life. */
  record Lease(String token, Duration ttl, boolean renewable) {}

  /**
   * One read of the secret.
   *
   * @param data key to value; values that are not JSON strings are kept as their JSON text
   * @param version the KV v2 version, 0 for KV v1
   */
  record Secret(Map<String, String> data, int version) {}

  // The driver falls back to VAULT_* variables of the process; the settings are the only input.
  private static final EnvironmentLoader NO_ENVIRONMENT =
      new EnvironmentLoader() {
        @Override
        public String loadVariable(String name) {
          return null;
        }
      };

  private final VaultSettings settings;
  private final HttpClient http;
  private final int timeoutSeconds;

  VaultClient(VaultSettings settings) throws VaultFailure {
    this.settings = settings;
    this.timeoutSeconds = (int) Math.max(1, (settings.timeout().toMillis() + 999) / 1000);
    HttpClient.Builder http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(timeoutSeconds));
    if (settings.caCertFile() != null) {
      try {
        http.sslContext(trusting(settings.caCertFile()));
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        throw new VaultFailure(
            Reason.CREDENTIALS,
            0,
            "cannot use VAULT_CACERT=" + settings.caCert() + " (it must be a readable PEM file)");
      }
    }
    this.http = http.build();
  }

  /** TLS that trusts the CA certificates of a PEM file (VAULT_CACERT), as the Vault CLI does. */
  private static SSLContext trusting(Path pemFile) throws IOException, GeneralSecurityException {
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream pem = Files.newInputStream(pemFile)) {
      int n = 0;
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        trusted.setCertificateEntry("ca-" + n++, certificate);
      }
      if (n == 0) {
        throw new GeneralSecurityException("no certificate in " + pemFile);
      }
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trust.getTrustManagers(), null);
    return tls;
  }

  /** {@code POST auth/<mount>/login} with the pod's service-account JWT. */
  Lease loginByKubernetes(String jwt) throws VaultFailure {
    String action = "log in at auth/" + settings.authMount() + " as role " + settings.role();
    AuthResponse login =
        call(
            action,
            () ->
                vault(null)
                    .auth()
                    .withNameSpace(settings.namespaceOrNull())
                    // The driver takes the mount's whole path under /v1/.
                    .loginByKubernetes(settings.role(), jwt, "auth/" + settings.authMount()));
    String token = login.getAuthClientToken();
    if (token == null || token.isEmpty()) {
      throw new VaultFailure(Reason.BAD_RESPONSE, 200, action + ": the answer holds no token");
    }
    return new Lease(
        token, Duration.ofSeconds(login.getAuthLeaseDuration()), login.isAuthRenewable());
  }

  /** {@code POST auth/token/renew-self}: the same token with a new TTL. */
  Lease renewSelf(String token) throws VaultFailure {
    AuthResponse renewed =
        call(
            "renew the token",
            () -> vault(token).auth().withNameSpace(settings.namespaceOrNull()).renewSelf());
    return new Lease(
        token, Duration.ofSeconds(renewed.getAuthLeaseDuration()), renewed.isAuthRenewable());
  }

  /** {@code GET auth/token/lookup-self}: the TTL left on a token that was handed to us. */
  Lease lookupSelf(String token) throws VaultFailure {
    LookupResponse lookup =
        call(
            "look up the token",
            () -> vault(token).auth().withNameSpace(settings.namespaceOrNull()).lookupSelf());
    return new Lease(token, Duration.ofSeconds(lookup.getTTL()), lookup.isRenewable());
  }

  /** KV v2: {@code current_version} from {@code GET <mount>/metadata/<path>}. */
  int currentVersion(String token) throws VaultFailure {
    String path = settings.mountName() + "/metadata/" + settings.secretName();
    JsonObject data = read(token, path);
    JsonValue version = data.get("current_version");
    if (version == null || !version.isNumber()) {
      throw new VaultFailure(
          Reason.BAD_RESPONSE, 200, "read " + path + ": the answer has no current_version");
    }
    return version.asInt();
  }

  /** KV v2: the current version's data from {@code GET <mount>/data/<path>}. */
  Secret readV2(String token) throws VaultFailure {
    String path = settings.mountName() + "/data/" + settings.secretName();
    JsonObject data = read(token, path);
    JsonValue secret = data.get("data");
    JsonValue metadata = data.get("metadata");
    if (secret == null
        || !secret.isObject()
        || metadata == null
        || !metadata.isObject()
        || metadata.asObject().get("version") == null) {
      throw new VaultFailure(
          Reason.BAD_RESPONSE, 200, "read " + path + ": the answer has no data or no version");
    }
    return new Secret(flatten(secret.asObject()), metadata.asObject().get("version").asInt());
  }

  /** KV v1: {@code GET <mount>/<path>}. */
  Secret readV1(String token) throws VaultFailure {
    return new Secret(flatten(read(token, settings.kvPath())), 0);
  }

  private JsonObject read(String token, String path) throws VaultFailure {
    String action = "read " + path;
    // The driver is set to KV v1 semantics, so it sends each path exactly as given.
    LogicalResponse response =
        call(
            action,
            () -> vault(token).logical().withNameSpace(settings.namespaceOrNull()).read(path));
    int status = response.getRestResponse().getStatus();
    if (status != 200) {
      throw statusFailure(action, status);
    }
    JsonObject data = response.getDataObject();
    if (data == null) {
      throw new VaultFailure(Reason.BAD_RESPONSE, status, action + ": the answer has no data");
    }
    return data;
  }

  private static Map<String, String> flatten(JsonObject object) {
    Map<String, String> values = new TreeMap<>();
    for (JsonObject.Member member : object) {
      JsonValue value = member.getValue();
      if (!value.isNull()) {
        values.put(member.getName(), value.isString() ? value.asString() : value.toString());
      }
    }
    return values;
  }

  private Vault vault(@Nullable String token) throws VaultException {
    VaultConfig config =
        new VaultConfig()
            .environmentLoader(NO_ENVIRONMENT)
            .address(settings.address().strip())
            .engineVersion(1)
            .httpClient(http)
            .openTimeout(timeoutSeconds)
            .readTimeout(timeoutSeconds);
    if (token != null) {
      config.token(token);
    }
    return Vault.create(config.build());
  }

  @FunctionalInterface
  private interface DriverCall<T> {
    T run() throws VaultException;
  }

  private <T> T call(String action, DriverCall<T> call) throws VaultFailure {
    try {
      return call.run();
    } catch (VaultException e) {
      throw translate(action, e);
    } catch (RuntimeException e) {
      // The driver's parsing of an unexpected answer (a proxy's HTML page, a missing field).
      throw new VaultFailure(
          Reason.BAD_RESPONSE,
          0,
          action + ": Vault's answer could not be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private VaultFailure translate(String action, VaultException e) {
    if (e.getHttpStatusCode() > 0) {
      return statusFailure(action, e.getHttpStatusCode());
    }
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
        return new VaultFailure(
            Reason.UNREACHABLE, 0, action + ": cannot connect to VAULT_ADDR=" + settings.address());
      } else if (cause instanceof HttpTimeoutException || cause instanceof SocketTimeoutException) {
        return new VaultFailure(
            Reason.TIMEOUT,
            0,
            action + ": no answer within " + timeoutSeconds + "s (RELOADER_VAULT_TIMEOUT)");
      } else if (cause instanceof UnknownHostException) {
        return new VaultFailure(
            Reason.UNREACHABLE, 0, action + ": unknown host in VAULT_ADDR=" + settings.address());
      } else if (cause instanceof SSLException) {
        return new VaultFailure(
            Reason.UNREACHABLE,
            0,
            action + ": TLS with " + settings.address() + " failed (check VAULT_CACERT)");
      } else if (cause instanceof IOException) {
        return new VaultFailure(
            Reason.UNREACHABLE,
            0,
            action
                + ": connection to "
                + settings.address()
                + " failed ("
                + cause.getClass().getSimpleName()
                + ")");
      }
    }
    return new VaultFailure(Reason.BAD_RESPONSE, 0, action + ": the call failed");
  }

  private static VaultFailure statusFailure(String action, int status) {
    Reason reason = Reason.ofStatus(status);
    String meaning =
        switch (reason) {
          case SEALED -> "Vault is sealed or down for maintenance";
          case DENIED -> "permission denied: the token is expired, revoked or lacks a policy";
          case NOT_FOUND -> "not found";
          case RATE_LIMITED -> "rate limited";
          case SERVER_ERROR -> "server error";
          default -> "request refused";
        };
    return new VaultFailure(
        reason, status, action + ": Vault answered HTTP " + status + " (" + meaning + ")");
  }
}
