package io.podreload.reloader.pipeline;

import io.podreload.reloader.source.SourceChange;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The changes reconciled together: at most one per dir, taken from the {@link ChangeQueue}. */
record Batch(List<SourceChange> changes) {

  /** Each dir and the hash the app must report for it (null: the dir must be absent). */
  Map<String, String> expected() {
    Map<String, String> expected = new LinkedHashMap<>();
    for (SourceChange c : changes) {
      expected.put(c.snapshot().key(), c.snapshot().present() ? c.snapshot().hash() : null);
    }
    return expected;
  }

  /** When the oldest change was seen: where the reload's latency starts. */
  Instant seenAt() {
    return changes.stream().map(SourceChange::seenAt).min(Instant::compareTo).orElseThrow();
  }

  /** For logs: each change's source, dir, hash and revision. */
  @Override
  public String toString() {
    return changes.stream()
        .map(
            c ->
                c.source()
                    + " "
                    + c.snapshot().dir()
                    + " ("
                    + c.snapshot().hash()
                    + (c.revision() == null || c.revision().isEmpty() ? "" : " " + c.revision())
                    + ")")
        .collect(Collectors.joining(", "));
  }
}
