package io.podreload.reloader.pipeline;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParseException;
import io.podreload.common.ConfigParser;
import io.podreload.reloader.source.SourceChange;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses content before the app is asked to load it. Errors about files in a secret dir ({@code
 * RELOADER_SECRET_DIRS}) name the file and the line only: a parser's message may quote the secret.
 */
final class ConfigValidator {

  private final List<Path> secretDirs;

  /** Each dir's content hash that parsed last: not parsed again while it does not change. */
  private final Map<String, String> parsed = new HashMap<>();

  ConfigValidator(List<Path> secretDirs) {
    this.secretDirs = secretDirs.stream().map(d -> d.toAbsolutePath().normalize()).toList();
  }

  /** The first problem in the content of any of these changes; empty when all of it parses. */
  Optional<String> problem(Collection<SourceChange> changes) {
    for (SourceChange change : changes) {
      Path dir = change.snapshot().dir();
      String key = change.snapshot().key();
      if (change.snapshot().hash().equals(parsed.get(key))) {
        continue;
      }
      parsed.remove(key);
      for (ConfigFile file : change.snapshot().files()) {
        try {
          ConfigParser.parse(file);
        } catch (ConfigParseException e) {
          return Optional.of(dir + "/" + (isSecret(dir) ? e.placeOnly() : e.getMessage()));
        }
      }
      parsed.put(key, change.snapshot().hash());
    }
    return Optional.empty();
  }

  private boolean isSecret(Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    return secretDirs.stream().anyMatch(absolute::startsWith);
  }
}
