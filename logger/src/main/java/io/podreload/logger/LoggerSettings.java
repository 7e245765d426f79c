package io.podreload.logger;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The logger's settings; {@code LOGGER_*} variables bind here by name ({@code LOGGER_STATE_DIR} is
 * {@code logger.state-dir}). Checked once at start, logged once.
 *
 * @param files {@code LOGGER_FILES}: the files followed, comma separated
 * @param stateDir {@code LOGGER_STATE_DIR}: where the checkpoints are kept
 * @param format {@code LOGGER_FORMAT}: {@code raw} (each line unchanged) or {@code json}
 * @param maxLineBytes {@code LOGGER_MAX_LINE_BYTES}: longer lines are split, with a marker
 * @param partialLineTimeout {@code LOGGER_PARTIAL_LINE_TIMEOUT}: a last line without a newline is
 *     emitted once the file has been idle this long
 * @param pollInterval {@code LOGGER_POLL_INTERVAL}: how often an idle file is checked for new data,
 *     rotation and truncation
 * @param checkpointInterval {@code LOGGER_CHECKPOINT_INTERVAL}: how often offsets are saved while
 *     lines flow (after kill -9, at most this much is repeated; after SIGTERM, nothing)
 */
@ConfigurationProperties("logger")
public record LoggerSettings(
    @Bindable(defaultValue = "/var/log/app/access.log") List<Path> files,
    @Bindable(defaultValue = "/var/lib/logger") Path stateDir,
    @Bindable(defaultValue = "raw") String format,
    @Bindable(defaultValue = "262144") int maxLineBytes,
    @Bindable(defaultValue = "1s") Duration partialLineTimeout,
    @Bindable(defaultValue = "10ms") Duration pollInterval,
    @Bindable(defaultValue = "1s") Duration checkpointInterval) {

  public LoggerSettings {
    format = format.trim().toLowerCase(Locale.ROOT);
  }

  /** Every problem with these settings, each naming the variable; empty when usable. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (files.isEmpty()) {
      problems.add("LOGGER_FILES names no file");
    }
    if (!format.equals("raw") && !format.equals("json")) {
      problems.add("LOGGER_FORMAT must be raw or json, not " + format);
    }
    if (maxLineBytes < 1024) {
      problems.add("LOGGER_MAX_LINE_BYTES must be at least 1024");
    }
    return problems;
  }
}
