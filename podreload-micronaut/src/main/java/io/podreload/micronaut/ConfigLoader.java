package io.podreload.micronaut;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParseException;
import io.podreload.common.ConfigParser;
import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every config dir (following the kubelet's {@code ..data} links, consistently even while a
 * dir is being swapped), parses each file and merges them: later dirs override earlier ones. Within
 * one dir, a key set by two files is ambiguous and rejected.
 *
 * <p>A file whose bytes did not change since the last merge is not parsed again: a reload costs the
 * parsing of what changed. Not thread-safe: one thread loads.
 */
public final class ConfigLoader {

  private final PodreloadSettings environment;

  /** The files parsed by the last merge, by dir and name: their bytes and properties. */
  private Map<Path, Map<String, Parsed>> parsed = Map.of();

  public ConfigLoader(PodreloadSettings environment) {
    this.environment = environment;
  }

  /**
   * Reads every config dir as it is now. A missing dir is a snapshot marked not present.
   *
   * @throws ConfigLoadException when a dir exists but cannot be read, naming the fix
   */
  public List<DirSnapshot> read() throws ConfigLoadException {
    List<DirSnapshot> snapshots = new ArrayList<>();
    for (Path dir : environment.configDirs()) {
      snapshots.add(read(dir));
    }
    return snapshots;
  }

  /**
   * Parses and merges what {@link #read()} returned.
   *
   * @throws ConfigLoadException with a message that names the dir, the file and what to fix; it
   *     never quotes content from a secret dir
   */
  public ConfigSet merge(List<DirSnapshot> snapshots) throws ConfigLoadException {
    Map<String, Object> merged = new LinkedHashMap<>();
    Map<String, Path> origins = new HashMap<>();
    Map<Path, Map<String, Parsed>> parsedNow = new HashMap<>();
    for (DirSnapshot snapshot : snapshots) {
      Path dir = snapshot.dir();
      Map<String, String> fileOfKey = new HashMap<>();
      Map<String, Parsed> parsedBefore = parsed.getOrDefault(dir, Map.of());
      Map<String, Parsed> parsedInDir = parsedNow.computeIfAbsent(dir, d -> new HashMap<>());
      for (ConfigFile file : snapshot.files()) {
        Parsed same = parsedBefore.get(file.name());
        Map<String, Object> properties =
            same != null && Arrays.equals(same.content(), file.content())
                ? same.properties()
                : parse(dir, file);
        parsedInDir.put(file.name(), new Parsed(file.content(), properties));
        for (Map.Entry<String, Object> entry : properties.entrySet()) {
          String previous = fileOfKey.putIfAbsent(entry.getKey(), file.name());
          if (previous != null) {
            throw new ConfigLoadException(
                dir.resolve(file.name())
                    + ": "
                    + entry.getKey()
                    + " is also set in "
                    + previous
                    + " of the same dir; set it in one file only");
          }
          merged.put(entry.getKey(), entry.getValue());
          origins.put(entry.getKey(), dir);
        }
      }
    }
    parsed = parsedNow; // only once the whole set merged: a rejected set leaves the cache as it was
    return new ConfigSet(snapshots, merged, origins, DirSnapshot.versionOf(snapshots));
  }

  private DirSnapshot read(Path dir) throws ConfigLoadException {
    try {
      return KubeletVolume.read(dir);
    } catch (AccessDeniedException e) {
      throw new ConfigLoadException(
          dir
              + ": permission denied reading "
              + e.getFile()
              + "; make it readable by the app's user (runAsUser/fsGroup)");
    } catch (IOException e) {
      throw new ConfigLoadException(dir + ": cannot be read: " + e.getMessage());
    }
  }

  private Map<String, Object> parse(Path dir, ConfigFile file) throws ConfigLoadException {
    try {
      return ConfigParser.parse(file);
    } catch (ConfigParseException e) {
      // A parser message may quote the offending text; from a secret dir, keep only the place.
      throw new ConfigLoadException(
          dir + "/" + (environment.isSecret(dir) ? e.placeOnly() : e.getMessage()));
    }
  }

  /** A file as last parsed: its bytes, and the properties they hold. */
  private record Parsed(byte[] content, Map<String, Object> properties) {}

  /** A config set that cannot be loaded, with a message fit for a log line and the status file. */
  public static final class ConfigLoadException extends Exception {
    public ConfigLoadException(String message) {
      super(message);
    }
  }
}
