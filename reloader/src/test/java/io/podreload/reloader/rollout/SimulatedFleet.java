package io.podreload.reloader.rollout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * N pods, each a {@link RolloutAgent} with a {@link SimulatedApp}, over one {@link
 * InMemoryCoordination}, on a manual clock: a step ticks every live pod in turn, sends each app one
 * request and moves the clock by 100 ms. No threads: every run is the same run.
 */
final class SimulatedFleet {
  static final Duration STEP = Duration.ofMillis(100);

  final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
  final InMemoryCoordination coordination = new InMemoryCoordination();
  final RolloutPolicy policy;
  private final Map<String, RolloutAgent> agents = new LinkedHashMap<>();
  private final Map<String, SimulatedApp> apps = new LinkedHashMap<>();
  private final Set<String> dead = new java.util.HashSet<>();

  SimulatedFleet(
      int pods, RolloutPolicy policy, String initial, Set<String> bad, Set<String> rejected) {
    this.policy = policy;
    for (int i = 0; i < pods; i++) {
      String pod = "app-" + i;
      SimulatedApp app = new SimulatedApp(clock, initial, bad, rejected);
      apps.put(pod, app);
      agents.put(
          pod,
          new RolloutAgent(
              new RolloutNode(pod, policy, clock), coordination.storeFor(pod), app, clock));
    }
  }

  List<String> pods() {
    return new ArrayList<>(agents.keySet());
  }

  SimulatedApp app(String pod) {
    return apps.get(pod);
  }

  RolloutAgent agent(String pod) {
    return agents.get(pod);
  }

  RolloutState state() {
    return coordination.state();
  }

  /** The ConfigMap is edited: every live pod's source offers the version. */
  void edit(String version) {
    apps.forEach((pod, app) -> app.offer(version));
  }

  /** The pod stops: it neither ticks nor renews anything again. */
  void kill(String pod) {
    dead.add(pod);
  }

  /** The pod runs again (a process that was stopped, not restarted: it keeps its memory). */
  void revive(String pod) {
    dead.remove(pod);
  }

  boolean alive(String pod) {
    return !dead.contains(pod);
  }

  /** One step: every live pod ticks, answers a request, and the clock moves on. */
  void step() {
    for (String pod : agents.keySet()) {
      if (alive(pod)) {
        agents.get(pod).tick();
        apps.get(pod).traffic(1);
      }
    }
    clock.advance(STEP);
  }

  /**
   * Every live pod decides on the same reading of the store, and only then do they act, as
   * reloaders that saw one watch event at the same moment.
   */
  void stepTogether() {
    Map<String, RolloutNode.Decision> decisions = new LinkedHashMap<>();
    for (String pod : agents.keySet()) {
      if (alive(pod)) {
        decisions.put(pod, agents.get(pod).decide());
      }
    }
    decisions.forEach((pod, decision) -> agents.get(pod).execute(decision));
    clock.advance(STEP);
  }

  /** Steps until the condition holds; false if it did not within {@code max} of fleet time. */
  boolean runUntil(BooleanSupplier done, Duration max) {
    Instant end = clock.instant().plus(max);
    while (!done.getAsBoolean()) {
      if (clock.instant().isAfter(end)) {
        return false;
      }
      step();
    }
    return true;
  }

  /** Whether every live pod serves {@code version}. */
  boolean allServe(String version) {
    for (String pod : agents.keySet()) {
      if (alive(pod) && !version.equals(apps.get(pod).serving())) {
        return false;
      }
    }
    return true;
  }

  Map<String, String> serving() {
    Map<String, String> serving = new LinkedHashMap<>();
    apps.forEach((pod, app) -> serving.put(pod, app.serving()));
    return serving;
  }
}
