package io.podreload.reloader;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The reloader's own settings. {@code RELOADER_*} variables bind here by name ({@code
 * RELOADER_VOLUME_DIRS} is {@code reloader.volume-dirs}); the sources have their own settings.
 * Checked once at start by {@link #problems()}, logged once.
 *
 * @param sources {@code RELOADER_SOURCES}: the fallback list of sources (see {@link
 *     SourceSwitches}, which decides)
 * @param volumeDirs {@code RELOADER_VOLUME_DIRS}: the ConfigMap/Secret volume dirs watched
 * @param targetCmdline {@code RELOADER_TARGET_CMDLINE}: regex found in the target's command line
 * @param signal {@code RELOADER_SIGNAL}: the signal sent, by name
 * @param signalAll {@code RELOADER_SIGNAL_ALL}: signal every matching process, instead of only the
 *     one that the status file names
 * @param statusFile {@code RELOADER_STATUS_FILE}: the app's acknowledgement
 * @param dryRun {@code RELOADER_DRY_RUN}: log what would be signalled, send nothing
 * @param confirmTimeout {@code RELOADER_CONFIRM_TIMEOUT}: how long the app may take to acknowledge
 * @param retryMax {@code RELOADER_RETRY_MAX}: the longest wait between attempts when the app did
 *     not answer or is missing
 * @param quietPeriod {@code RELOADER_QUIET_PERIOD}: how long a plain dir must stay still after an
 *     edit before it is read (the kubelet's swap needs none)
 * @param rehashInterval {@code RELOADER_REHASH_INTERVAL}: the safety net that re-reads the dirs in
 *     case a change event was missed
 * @param targetMissingAfter {@code RELOADER_TARGET_MISSING_AFTER}: how long the target may be
 *     missing before {@code /health} fails
 * @param procRoot {@code RELOADER_PROC_ROOT}: where the process table is read
 * @param secretDirs {@code RELOADER_SECRET_DIRS}: dirs that hold secrets (Secret volumes, the Vault
 *     render dir, its default): an error about one of their files names the file and line only
 * @param target {@code RELOADER_TARGET}: how the app is reloaded, {@code signal} (a signal to its
 *     process) or {@code http} (a request to {@code RELOADER_TARGET_URL})
 * @param targetUrl {@code RELOADER_TARGET_URL}: the http target's reload endpoint
 * @param targetMethod {@code RELOADER_TARGET_METHOD}: the http target's request method
 * @param targetTimeout {@code RELOADER_TARGET_TIMEOUT}: how long the http target's request may take
 *     to connect, and then to answer
 */
@ConfigurationProperties("reloader")
public record ReloaderSettings(
    @Bindable(defaultValue = "volume") List<String> sources,
    @Bindable(defaultValue = "/etc/app/config") List<Path> volumeDirs,
    @Bindable(defaultValue = "app\\.jar") String targetCmdline,
    @Bindable(defaultValue = "HUP") String signal,
    @Bindable(defaultValue = "false") boolean signalAll,
    @Bindable(defaultValue = "/run/app/reload-status.json") Path statusFile,
    @Bindable(defaultValue = "false") boolean dryRun,
    @Bindable(defaultValue = "10s") Duration confirmTimeout,
    @Bindable(defaultValue = "30s") Duration retryMax,
    @Bindable(defaultValue = "50ms") Duration quietPeriod,
    @Bindable(defaultValue = "5s") Duration rehashInterval,
    @Bindable(defaultValue = "60s") Duration targetMissingAfter,
    @Bindable(defaultValue = "/proc") Path procRoot,
    @Bindable(defaultValue = "/run/app/secrets") List<Path> secretDirs,
    @Bindable(defaultValue = "signal") String target,
    @Bindable(defaultValue = "") String targetUrl,
    @Bindable(defaultValue = "POST") String targetMethod,
    @Bindable(defaultValue = "5s") Duration targetTimeout) {

  public static final Set<String> KNOWN_SOURCES = Set.of("volume", "configmap", "vault");

  /** The signals a config reload may use; never KILL or STOP. */
  public static final Set<String> ALLOWED_SIGNALS = Set.of("HUP", "USR1", "USR2", "INT", "TERM");

  public static final String SIGNAL_TARGET = "signal";
  public static final String HTTP_TARGET = "http";

  /** The methods the http target may use. */
  public static final Set<String> TARGET_METHODS = Set.of("POST", "PUT", "GET");

  public ReloaderSettings {
    sources =
        sources.stream()
            .map(s -> s.trim().toLowerCase(Locale.ROOT))
            .filter(s -> !s.isEmpty())
            .toList();
    signal = signal.trim().toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
    target = target.trim().toLowerCase(Locale.ROOT);
    targetUrl = targetUrl.trim();
    targetMethod = targetMethod.trim().toUpperCase(Locale.ROOT);
  }

  /** Every problem with these settings, each naming the variable to fix; empty when usable. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    // Which sources run, and the problems of that, is SourceSwitches' part.
    try {
      Pattern.compile(targetCmdline);
    } catch (PatternSyntaxException e) {
      problems.add("RELOADER_TARGET_CMDLINE is not a valid regex: " + e.getDescription());
    }
    if (!ALLOWED_SIGNALS.contains(signal)) {
      problems.add("RELOADER_SIGNAL must be one of " + ALLOWED_SIGNALS + ", not " + signal);
    }
    problems.addAll(targetProblems());
    for (var d :
        List.of(
            confirmTimeout,
            retryMax,
            quietPeriod,
            rehashInterval,
            targetMissingAfter,
            targetTimeout)) {
      if (d.isNegative() || d.isZero()) {
        problems.add("durations must be positive (RELOADER_CONFIRM_TIMEOUT and others): " + d);
        break;
      }
    }
    return problems;
  }

  private List<String> targetProblems() {
    if (SIGNAL_TARGET.equals(target)) {
      return targetUrl.isEmpty()
          ? List.of()
          : List.of(
              "RELOADER_TARGET_URL is set but RELOADER_TARGET is signal: set RELOADER_TARGET=http");
    }
    if (!HTTP_TARGET.equals(target)) {
      return List.of("RELOADER_TARGET must be signal or http, not " + target);
    }
    List<String> problems = new ArrayList<>();
    if (!TARGET_METHODS.contains(targetMethod)) {
      problems.add(
          "RELOADER_TARGET_METHOD must be one of " + TARGET_METHODS + ", not " + targetMethod);
    }
    try {
      URI uri = targetUri();
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      problems.add(
          "RELOADER_TARGET=http needs RELOADER_TARGET_URL, an http(s) URL such as"
              + " http://127.0.0.1:9090/-/reload");
    }
    return problems;
  }

  /** {@code RELOADER_TARGET_URL} as a URI; throws IllegalArgumentException when it is not one. */
  public URI targetUri() {
    return URI.create(targetUrl);
  }

  public Pattern targetPattern() {
    return Pattern.compile(targetCmdline);
  }
}
