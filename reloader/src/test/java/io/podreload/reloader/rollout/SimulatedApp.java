package io.podreload.reloader.rollout;

import io.podreload.reloader.rollout.AppView.Attempt;
import io.podreload.reloader.rollout.AppView.HealthSample;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An app and its source for the state-machine tests: the source offers versions, the app serves
 * what it is asked unless told to reject it, and answers requests with 5xx while it serves a
 * version marked bad. Counts reloads and remembers every version it served.
 */
final class SimulatedApp implements VersionTarget {
  private final Clock clock;
  private final Set<String> contents = new LinkedHashSet<>();
  private final List<String> served = new ArrayList<>();
  private final Set<String> bad;
  private final Set<String> rejected = new java.util.HashSet<>();
  private String source;
  private String serving;
  private Attempt last;
  private long requests;
  private long errors;
  private boolean ready = true;
  private int reloads;

  SimulatedApp(Clock clock, String initial, Set<String> bad, Set<String> rejected) {
    this.clock = clock;
    this.bad = bad;
    this.rejected.addAll(rejected);
    offer(initial);
  }

  /** The source (the ConfigMap) now offers this version. */
  synchronized void offer(String version) {
    source = version;
    contents.add(version);
  }

  /** Answers {@code n} requests with what it serves. */
  synchronized void traffic(int n) {
    requests += n;
    if (serving != null && bad.contains(serving)) {
      errors += n;
    }
  }

  /** From now on this app refuses {@code version} (its validation says no). */
  synchronized void reject(String version) {
    rejected.add(version);
  }

  synchronized void ready(boolean up) {
    ready = up;
  }

  synchronized String serving() {
    return serving;
  }

  /** Every version it served, in order (the first load included). */
  synchronized List<String> served() {
    return List.copyOf(served);
  }

  /** Reloads (SIGHUPs) it took, the first load not counted. */
  synchronized int reloads() {
    return reloads;
  }

  @Override
  public synchronized AppView view() {
    HealthSample sample = new HealthSample(ready, requests, errors);
    Set<String> have = Set.copyOf(contents);
    return new AppView(source, serving, last, () -> sample, have::contains);
  }

  @Override
  public synchronized void serve(String version) {
    if (serving != null) {
      reloads++;
    }
    if (rejected.contains(version)) {
      last =
          new Attempt(version, PodRecord.REJECTED, "app.limit: must be positive", clock.instant());
      return;
    }
    serving = version;
    served.add(version);
    last = new Attempt(version, PodRecord.APPLIED, null, clock.instant());
  }
}
