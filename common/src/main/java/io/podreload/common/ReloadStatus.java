package io.podreload.common;

import java.util.Map;

/**
 * The app's acknowledgement of a load attempt, written to the status file after every attempt and
 * read by the reloader to confirm a reload.
 *
 * @param pid the app's process id
 * @param generation the number of loads applied by this process (the first load is 1)
 * @param version the id of the config set now serving (stable for identical content)
 * @param result {@link #APPLIED} or {@link #REJECTED}
 * @param error why the attempt was rejected, null when applied
 * @param at when the attempt ended, ISO-8601
 * @param attempt the number of load attempts by this process, applied or not
 * @param sources each present config dir of the attempt and its {@link DirSnapshot#hash()}
 */
public record ReloadStatus(
    long pid,
    long generation,
    String version,
    String result,
    String error,
    String at,
    long attempt,
    Map<String, String> sources) {

  public static final String APPLIED = "applied";
  public static final String REJECTED = "rejected";

  public ReloadStatus {
    sources = sources == null ? Map.of() : Map.copyOf(sources);
  }

  public boolean applied() {
    return APPLIED.equals(result);
  }
}
