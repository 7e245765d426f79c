package io.podreload.micronaut;

import io.podreload.common.DirSnapshot;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merged content of all config dirs at one moment: what a load attempt read.
 *
 * @param snapshots every configured dir, in order (missing ones marked not present)
 * @param properties the merged flat properties, later dirs winning, in the order read
 * @param origins for each property, the dir its value came from
 * @param version a stable id of the content ({@link DirSnapshot#versionOf})
 */
public record ConfigSet(
    List<DirSnapshot> snapshots,
    Map<String, Object> properties,
    Map<String, Path> origins,
    String version) {

  /**
   * The maps are taken over, not copied (a copy of 10,000 keys is a reload's worth of time): the
   * caller builds them for this set and does not change them afterwards.
   */
  public ConfigSet {
    snapshots = List.copyOf(snapshots);
    properties = Collections.unmodifiableMap(properties);
    origins = Collections.unmodifiableMap(origins);
  }

  /** Each present dir's status-file name and content hash: what the reloader confirms against. */
  public Map<String, String> sources() {
    return sourcesOf(snapshots);
  }

  /** The same for dirs that were read but could not be merged (a rejected attempt). */
  public static Map<String, String> sourcesOf(List<DirSnapshot> snapshots) {
    Map<String, String> sources = new LinkedHashMap<>();
    for (DirSnapshot snapshot : snapshots) {
      if (snapshot.present()) {
        sources.put(snapshot.key(), snapshot.hash());
      }
    }
    return sources;
  }
}
