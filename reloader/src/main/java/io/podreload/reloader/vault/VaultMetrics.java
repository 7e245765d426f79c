package io.podreload.reloader.vault;

import io.podreload.common.PrometheusRegistry;
import io.podreload.common.PrometheusRegistry.Counter;
import io.podreload.reloader.vault.VaultFailure.Reason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Vault source's meters: {@code reloader_vault_errors_total{reason}}, {@code
 * reloader_vault_logins_total}, {@code reloader_vault_renewals_total} and {@code
 * reloader_vault_secret_version}. Labels hold reasons only, never paths or values.
 */
final class VaultMetrics {

  private final Map<Reason, Counter> errors = new EnumMap<>(Reason.class);
  private final Counter logins;
  private final Counter renewals;
  private final AtomicLong version = new AtomicLong(-1);

  VaultMetrics(PrometheusRegistry registry) {
    for (Reason reason : Reason.values()) {
      errors.put(
          reason,
          registry.counter(
              "reloader_vault_errors",
              "Failed calls to Vault, and failed renders, by reason",
              "reason",
              reason.label()));
    }
    logins = registry.counter("reloader_vault_logins", "Logins to Vault (Kubernetes auth)");
    renewals = registry.counter("reloader_vault_renewals", "Token renewals (renew-self)");
    registry.gauge(
        "reloader_vault_secret_version",
        "The KV v2 version of the rendered secret (-1 before the first, 0 for KV v1)",
        version::get);
  }

  void error(Reason reason) {
    errors.get(reason).increment();
  }

  void login() {
    logins.increment();
  }

  void renewal() {
    renewals.increment();
  }

  void rendered(int secretVersion) {
    version.set(secretVersion);
  }
}
