package io.podreload.micronaut;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The module's start-up settings, under {@code podreload.*}, each also read from the environment
 * name of the pod's contract ({@code APP_CONFIG_DIRS}, ... : {@link ContractEnvironmentNames}):
 * they say where configuration, the access log and the status file live. The configuration itself
 * is reloadable; these are not.
 *
 * @param enabled {@code podreload.enabled}: false leaves the host app without any of the module's
 *     beans (no signal handler, no endpoint, no filter)
 * @param configDirs {@code APP_CONFIG_DIRS}: config dirs, later wins, missing ones skipped
 * @param secretDirs {@code APP_SECRET_DIRS}: those of the config dirs whose values are masked
 * @param statusFile {@code APP_STATUS_FILE}: the acknowledgement written after each load attempt
 * @param accessLogEnabled {@code APP_ACCESS_LOG_ENABLED}: false writes no access log at all
 * @param accessLog {@code APP_ACCESS_LOG}: one line per request
 * @param accessLogMaxBytes {@code APP_ACCESS_LOG_MAX_BYTES}: size at which the log is rotated
 * @param accessLogKeep {@code APP_ACCESS_LOG_KEEP}: rotated files kept (access.log.1 ... .N)
 * @param accessLogQueue {@code APP_ACCESS_LOG_QUEUE}: lines waiting for the disk; beyond, dropped
 * @param shutdownDelay {@code APP_SHUTDOWN_DELAY}: on SIGTERM, how long the app stays up, not ready
 *     but serving, while Kubernetes takes the pod out of the Service's endpoints
 */
@ConfigurationProperties(PodreloadSettings.PREFIX)
public record PodreloadSettings(
    @Bindable(defaultValue = "true") boolean enabled,
    @NotEmpty @Bindable(defaultValue = "/etc/app/config,/run/app/config,/run/app/secrets")
        List<Path> configDirs,
    @Bindable(defaultValue = "/run/app/secrets") List<Path> secretDirs,
    @Bindable(defaultValue = "/run/app/reload-status.json") Path statusFile,
    @Bindable(defaultValue = "true") boolean accessLogEnabled,
    @Bindable(defaultValue = "/var/log/app/access.log") Path accessLog,
    @Min(1024) @Bindable(defaultValue = "10485760") long accessLogMaxBytes,
    @Min(1) @Bindable(defaultValue = "3") int accessLogKeep,
    @Min(1) @Bindable(defaultValue = "65536") int accessLogQueue,
    @Bindable(defaultValue = "5s") Duration shutdownDelay) {

  public static final String PREFIX = "podreload";

  public PodreloadSettings {
    configDirs = configDirs == null ? List.of() : List.copyOf(configDirs);
    secretDirs = secretDirs == null ? List.of() : List.copyOf(secretDirs);
  }

  /** Whether values read from {@code dir} are secret. */
  public boolean isSecret(Path dir) {
    Path normalized = dir.toAbsolutePath().normalize();
    return secretDirs.stream().anyMatch(s -> s.toAbsolutePath().normalize().equals(normalized));
  }
}
