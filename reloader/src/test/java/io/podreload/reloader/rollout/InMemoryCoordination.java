package io.podreload.reloader.rollout;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The coordination objects in memory, with the API's concurrency rules that the rollout relies on:
 * the state is replaced only at the resourceVersion it was read at (else a conflict), a record
 * write touches only its pod's key. Every write bumps one resourceVersion counter, as etcd does.
 */
final class InMemoryCoordination {
  private long resourceVersion = 1;
  private Map<String, String> state = new HashMap<>();
  private String stateVersion = "1";
  private final Map<String, String> annotations = new HashMap<>();
  private final Map<String, String> records = new TreeMap<>();
  private final List<Action.Event> events = new ArrayList<>();
  private final List<RolloutState> history = new ArrayList<>();
  private int conflicts;
  private int writes;

  synchronized RolloutState state() {
    return RolloutState.fromData(stateVersion, state, annotations);
  }

  synchronized Map<String, PodRecord> records() {
    Map<String, PodRecord> parsed = new TreeMap<>();
    records.forEach(
        (key, value) ->
            PodRecord.podOf(key)
                .ifPresent(pod -> PodRecord.parse(value).ifPresent(r -> parsed.put(pod, r))));
    return parsed;
  }

  synchronized List<Action.Event> events() {
    return List.copyOf(events);
  }

  /** Every state that was written, in order. */
  synchronized List<RolloutState> history() {
    return List.copyOf(history);
  }

  synchronized int conflicts() {
    return conflicts;
  }

  synchronized int writes() {
    return writes;
  }

  synchronized void pause(boolean on) {
    if (on) {
      annotations.put(RolloutState.PAUSE_ANNOTATION, RolloutState.PAUSED);
    } else {
      annotations.remove(RolloutState.PAUSE_ANNOTATION);
    }
    stateVersion = String.valueOf(++resourceVersion);
  }

  /** The store one pod uses. */
  CoordinationStore storeFor(String pod) {
    return new CoordinationStore() {
      @Override
      public RolloutState state() {
        return InMemoryCoordination.this.state();
      }

      @Override
      public Map<String, PodRecord> records() {
        return InMemoryCoordination.this.records();
      }

      @Override
      public void writeRecord(String writer, PodRecord record) {
        synchronized (InMemoryCoordination.this) {
          writes++;
          records.put(PodRecord.key(writer), record.toValue());
          resourceVersion++;
        }
      }

      @Override
      public boolean replaceState(RolloutState next) {
        synchronized (InMemoryCoordination.this) {
          writes++;
          if (!next.resourceVersion().equals(stateVersion)) {
            conflicts++;
            return false;
          }
          Map<String, String> data = new HashMap<>();
          next.toData()
              .forEach(
                  (k, v) -> {
                    if (v != null) {
                      data.put(k, v);
                    }
                  });
          state = data;
          stateVersion = String.valueOf(++resourceVersion);
          history.add(InMemoryCoordination.this.state());
          return true;
        }
      }

      @Override
      public void pruneRecords(Collection<String> pods) {
        synchronized (InMemoryCoordination.this) {
          writes++;
          pods.forEach(p -> records.remove(PodRecord.key(p)));
          resourceVersion++;
        }
      }

      @Override
      public void event(Action.Event event) {
        synchronized (InMemoryCoordination.this) {
          events.add(event);
        }
      }
    };
  }
}
