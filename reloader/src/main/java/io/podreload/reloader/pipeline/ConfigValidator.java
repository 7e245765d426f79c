package io.podreload.reloader.pipeline;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParseException;
import io.podreload.common.ConfigParser;
import io.podreload.reloader.source.SourceChange;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses content before the app is asked to load it, and remembers per dir whether its latest
 * content parsed: a hash, or the problem; the first problem is the reloader's invalid-config state
 * ({@code /health}). No content is kept (a ConfigMap may be 1 MiB), and content is parsed once,
 * when it is new. Errors about files in a secret dir ({@code RELOADER_SECRET_DIRS}) name the file
 * and the line only: a parser's message may quote the secret. Used by one thread at a time; {@link
 * #invalidConfig()} is read by any.
 */
final class ConfigValidator {

  private final List<Path> secretDirs;

  /** Each dir's content hash that parsed last: not parsed again while it does not change. */
  private final Map<String, String> parsed = new HashMap<>();

  /** Each dir whose latest content does not parse, and why. */
  private final Map<String, String> problems = new LinkedHashMap<>();

  private volatile String invalidConfig;

  ConfigValidator(List<Path> secretDirs) {
    this.secretDirs = secretDirs.stream().map(d -> d.toAbsolutePath().normalize()).toList();
  }

  /**
   * Takes the new content of these dirs; returns the first problem in the latest content of any dir
   * seen so far, empty when all of it parses.
   */
  Optional<String> problem(Collection<SourceChange> changes) {
    for (SourceChange change : changes) {
      String key = change.snapshot().key();
      String hash = change.snapshot().hash();
      if (hash.equals(parsed.get(key))) {
        problems.remove(key);
        continue;
      }
      parsed.remove(key);
      Optional<String> problem = parse(change.snapshot().dir(), change.snapshot().files());
      if (problem.isPresent()) {
        problems.put(key, problem.get());
      } else {
        problems.remove(key);
        parsed.put(key, hash);
      }
    }
    invalidConfig = problems.values().stream().findFirst().orElse(null);
    return invalidConfig();
  }

  /** The first problem in the latest content of the dirs seen so far, as of the last batch. */
  Optional<String> invalidConfig() {
    return Optional.ofNullable(invalidConfig);
  }

  private Optional<String> parse(Path dir, List<ConfigFile> files) {
    for (ConfigFile file : files) {
      try {
        ConfigParser.parse(file);
      } catch (ConfigParseException e) {
        return Optional.of(dir + "/" + (isSecret(dir) ? e.placeOnly() : e.getMessage()));
      }
    }
    return Optional.empty();
  }

  private boolean isSecret(Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    return secretDirs.stream().anyMatch(absolute::startsWith);
  }
}
