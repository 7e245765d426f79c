package io.podreload.reloader.vault;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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

  VaultMetrics(MeterRegistry registry) {
    for (Reason reason : Reason.values()) {
      errors.put(
          reason,
          Counter.builder("reloader.vault.errors")
              .description("Failed calls to Vault, and failed renders, by reason")
              .tag("reason", reason.label())
              .register(registry));
    }
    logins =
        Counter.builder("reloader.vault.logins")
            .description("Logins to Vault (Kubernetes auth)")
            .register(registry);
    renewals =
        Counter.builder("reloader.vault.renewals")
            .description("Token renewals (renew-self)")
            .register(registry);
    Gauge.builder("reloader.vault.secret.version", version, AtomicLong::get)
        .description("The KV v2 version of the rendered secret (-1 before the first, 0 for KV v1)")
        .register(registry);
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
