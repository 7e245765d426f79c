package io.podreload.reloader.rollout;

import io.podreload.reloader.rollout.Action.Event;
import io.podreload.reloader.rollout.AppView.Attempt;
import io.podreload.reloader.rollout.AppView.HealthSample;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One pod's part in a progressive rollout, as a state machine without threads or I/O: given the
 * coordination state, the records (when it holds the rollout) and its own view, it says what to do
 * next and when to be asked again. Every time comes from the injected clock.
 *
 * <p>Every pod: serves what the state allows it ({@link RolloutState#allowed}), reports what it
 * serves in its own record, claims a rollout of a newer version its source offers (after its rank's
 * share of the claim window, so the first rank claims and the rest see it), and takes over a
 * rollout whose holder stopped renewing its lease. The holder: bakes the version as canary behind
 * the health gate, opens waves in rank order once the previous wave acknowledged, and records
 * {@code promoted} or {@code rolled-back}.
 */
public final class RolloutNode {

  private static final int HISTORY = 16;
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);
  private static final Duration RETRY_FAILED = Duration.ofSeconds(5);

  /** Claim slots when no holder counted the fleet yet (its first rollout). */
  private static final int UNKNOWN_FLEET = 4;

  private final String pod;
  private final RolloutPolicy policy;
  private final Clock clock;

  /** Versions the source offered, oldest first, each with when it became the current one. */
  private final LinkedHashMap<String, Instant> seen = new LinkedHashMap<>();

  private String leaseSeen;
  private Instant leaseSeenAt;
  private PodRecord written;
  private Bake bake;
  private String waveSeen;
  private Instant waveSeenAt;

  private record Bake(String version, int attempt, Instant started, HealthSample baseline) {}

  /** What to do now, and when to be asked again (null: when something changes). */
  public record Decision(List<Action> actions, Instant wakeAt) {}

  public RolloutNode(String pod, RolloutPolicy policy, Clock clock) {
    this.pod = pod;
    this.policy = policy;
    this.clock = clock;
  }

  public String pod() {
    return pod;
  }

  /** The agent wrote this record: it is not written again until the pod's report changes. */
  public void recordWritten(PodRecord record) {
    written = record;
  }

  /**
   * Decides the next step.
   *
   * @param state the rollout state as last read
   * @param records every pod's record; read only when this pod holds the rollout
   * @param app this pod's view of itself
   */
  public Decision decide(
      RolloutState state, Supplier<Map<String, PodRecord>> records, AppView app) {
    Instant now = clock.instant();
    Step step = new Step(now);
    see(app.source(), now);
    observeLease(state, now);

    PodRecord mine = report(app, now);
    if (mine != null && !sameReport(mine, written)) {
      step.actions.add(new Action.WriteRecord(mine));
    }
    if (state.active() && pod.equals(state.holder())) {
      hold(state, records, app, step);
    } else {
      claim(state, app, step);
    }
    serve(state, app, step);
    return new Decision(List.copyOf(step.actions), step.wakeAt);
  }

  // --- every pod -----------------------------------------------------------------------------

  private void serve(RolloutState state, AppView app, Step step) {
    String target =
        state.allowed(pod).orElse(!state.started() && app.serving() == null ? app.source() : null);
    if (target == null || target.equals(app.serving()) || !app.available().test(target)) {
      return;
    }
    Attempt last = app.last();
    if (last != null && target.equals(last.version()) && !last.applied()) {
      if (PodRecord.REJECTED.equals(last.result())) {
        return; // the app refused this content: asking again gives the same answer
      }
      Instant retry = last.at().plus(RETRY_FAILED);
      if (step.now.isBefore(retry)) {
        step.wake(retry);
        return;
      }
    }
    step.actions.add(new Action.Serve(target));
  }

  private void claim(RolloutState state, AppView app, Step step) {
    if (state.paused()) {
      return;
    }
    String src = app.source();
    if (state.active()) {
      Duration lease = state.lease() == null ? policy.lease() : state.lease();
      Instant expiry = leaseSeenAt.plus(lease);
      if (step.now.isBefore(expiry)) {
        step.wake(expiry);
        return;
      }
      String version;
      if (src != null && !src.equals(state.version()) && isNewer(src, state.version())) {
        version = src;
      } else if (app.available().test(state.version())) {
        version = state.version();
      } else {
        return; // behind: a pod that has the content takes it over
      }
      if (!app.available().test(version)) {
        return;
      }
      Instant due = expiry.plus(claimDelay(version, state));
      if (step.now.isBefore(due)) {
        step.wake(due);
        return;
      }
      RolloutState next;
      Event event;
      if (!version.equals(state.version())) {
        next =
            RolloutState.start(
                state.resourceVersion(),
                version,
                state.promoted(),
                pod,
                step.now,
                policy.lease(),
                state.pods());
        event =
            started(
                version,
                "superseding "
                    + state.version()
                    + " whose holder "
                    + state.holder()
                    + " stopped renewing");
      } else if (state.phase() == Phase.CANARY && state.attempt() >= policy.maxCanaryAttempts()) {
        String why =
            state.attempt()
                + " canaries of "
                + version
                + " stopped renewing their lease during the bake (the last: "
                + state.canary()
                + ")";
        next = state.withPhase(Phase.ROLLED_BACK, why);
        event = Event.warning("RolledBack", why + "; pods serve " + state.promoted() + " again");
      } else if (state.phase() == Phase.CANARY) {
        next = state.withCanary(pod, state.attempt() + 1);
        event =
            Event.normal(
                "RolloutStarted",
                "canary "
                    + state.canary()
                    + " of "
                    + version
                    + " stopped renewing its lease; "
                    + pod
                    + " is the canary now");
      } else {
        next = state;
        event =
            Event.normal(
                "RolloutResumed",
                "holder "
                    + state.holder()
                    + " stopped renewing its lease; "
                    + pod
                    + " drives the waves");
      }
      step.actions.add(
          new Action.WriteState(next.renewedBy(pod, step.now, policy.lease()), List.of(event)));
      return;
    }
    // no rollout in progress: start one if the source offers a newer version
    if (src == null || !app.available().test(src)) {
      return;
    }
    boolean fresh =
        state.started()
            ? !src.equals(state.version()) && isNewer(src, state.version())
            : app.serving() != null && !src.equals(app.serving()) && isNewer(src, app.serving());
    if (!fresh) {
      return;
    }
    Instant due = seen.get(src).plus(claimDelay(src, state));
    if (step.now.isBefore(due)) {
      step.wake(due);
      return;
    }
    String promoted =
        !state.started()
            ? app.serving()
            : state.phase() == Phase.PROMOTED ? state.version() : state.promoted();
    step.actions.add(
        new Action.WriteState(
            RolloutState.start(
                state.resourceVersion(),
                src,
                promoted,
                pod,
                step.now,
                policy.lease(),
                state.pods()),
            List.of(started(src, "replacing " + promoted))));
  }

  private Event started(String version, String context) {
    return Event.normal(
        "RolloutStarted", "version " + version + " (" + context + "); canary " + pod);
  }

  // --- the holder ----------------------------------------------------------------------------

  private void hold(
      RolloutState state, Supplier<Map<String, PodRecord>> records, AppView app, Step step) {
    String src = app.source();
    if (src != null
        && !src.equals(state.version())
        && isNewer(src, state.version())
        && app.available().test(src)) {
      RolloutState next =
          RolloutState.start(
              state.resourceVersion(),
              src,
              state.promoted(),
              pod,
              step.now,
              policy.lease(),
              state.pods());
      step.actions.add(
          new Action.WriteState(next, List.of(started(src, "superseding " + state.version()))));
      return;
    }
    if (state.phase() == Phase.CANARY && !pod.equals(state.canary())) {
      // a holder that is not the canary (a hand edit): it becomes the canary, with a fresh bake
      step.actions.add(
          new Action.WriteState(
              state.withCanary(pod, state.attempt() + 1).renewedBy(pod, step.now, policy.lease()),
              List.of()));
      return;
    }
    List<Event> events = new ArrayList<>();
    RolloutState next =
        switch (state.phase()) {
          case CANARY -> bake(state, records, app, step, events);
          case PROMOTING -> waves(state, records.get(), app, step, events);
          default -> null;
        };
    Instant renewDue =
        state.renewTime() == null ? step.now : state.renewTime().plus(policy.lease().dividedBy(3));
    if (next == null && !step.now.isBefore(renewDue)) {
      next = state;
    }
    if (next != null) {
      step.actions.add(
          new Action.WriteState(
              next.renewedBy(pod, step.now, policy.lease()), List.copyOf(events)));
    } else {
      step.wake(renewDue);
    }
  }

  private RolloutState bake(
      RolloutState state,
      Supplier<Map<String, PodRecord>> records,
      AppView app,
      Step step,
      List<Event> events) {
    String version = state.version();
    Attempt last = app.last();
    if (last != null && version.equals(last.version()) && !last.applied()) {
      return rollBack(
          state,
          "the app of canary "
              + pod
              + " did not apply "
              + version
              + ": "
              + last.result()
              + (last.error() == null ? "" : " (" + last.error() + ")"),
          events);
    }
    if (!version.equals(app.serving()) || last == null || !last.applied()) {
      return null; // serving it is this step's Serve; the answer comes with the next
    }
    if (bake == null || !bake.version.equals(version) || bake.attempt != state.attempt()) {
      bake = new Bake(version, state.attempt(), step.now, app.health().get());
    }
    HealthSample sample = app.health().get();
    Instant end = bake.started.plus(policy.bake());
    if (sample == null) {
      step.wake(step.now.plus(SAMPLE_EVERY));
      return null;
    }
    if (!sample.ready()) {
      return rollBack(state, "readiness of canary " + pod + " went DOWN during the bake", events);
    }
    long base = bake.baseline == null ? 0 : bake.baseline.requests();
    long baseErrors = bake.baseline == null ? 0 : bake.baseline.errors();
    long requests = sample.requests() - base;
    long errors = sample.errors() - baseErrors;
    if (requests >= Math.max(1, policy.minRequests())
        && errors > policy.maxErrorRate() * requests) {
      return rollBack(
          state,
          String.format(
              "canary %s answered %d of %d requests with 5xx (%.1f%%, more than %.1f%%)",
              pod, errors, requests, 100.0 * errors / requests, 100 * policy.maxErrorRate()),
          events);
    }
    if (step.now.isBefore(end)) {
      step.wake(min(end, step.now.plus(SAMPLE_EVERY)));
      return null;
    }
    if (requests < policy.minRequests()) {
      step.wake(step.now.plus(SAMPLE_EVERY));
      String why = "bake extended: fewer than " + policy.minRequests() + " requests seen";
      return why.equals(state.reason()) ? null : state.withReason(why);
    }
    if (state.paused()) {
      step.wake(step.now.plus(SAMPLE_EVERY));
      String why = "canary passed; paused by annotation";
      return why.equals(state.reason()) ? null : state.withReason(why);
    }
    events.add(
        Event.normal(
            "CanaryPassed",
            String.format(
                "canary %s served %s for %ds: %d requests, %d answered 5xx",
                pod, version, policy.bake().toSeconds(), requests, errors)));
    return nextWave(state, records.get(), Set.of(pod), events);
  }

  private RolloutState waves(
      RolloutState state,
      Map<String, PodRecord> records,
      AppView app,
      Step step,
      List<Event> events) {
    String version = state.version();
    String key = Rank.format(state.threshold() == null ? 0 : state.threshold());
    if (!key.equals(waveSeen)) {
      waveSeen = key;
      waveSeenAt = step.now;
    }
    Map<String, PodRecord> members = new LinkedHashMap<>(records);
    PodRecord self = report(app, step.now);
    if (self != null) {
      members.put(pod, self); // its own view is fresher than its record
    }
    Set<String> pending = new LinkedHashSet<>();
    Set<String> opened = new LinkedHashSet<>();
    for (Map.Entry<String, PodRecord> member : members.entrySet()) {
      String name = member.getKey();
      if (!version.equals(state.allowed(name).orElse(null))) {
        continue;
      }
      opened.add(name);
      PodRecord record = member.getValue();
      if (record.failed(version)) {
        return rollBack(
            state,
            "pod "
                + name
                + " did not apply "
                + version
                + ": "
                + record.result()
                + (record.error() == null ? "" : " (" + record.error() + ")"),
            events);
      }
      if (!record.acked(version)) {
        pending.add(name);
      }
    }
    Instant timeout = waveSeenAt.plus(policy.waveTimeout());
    if (!pending.isEmpty() && step.now.isBefore(timeout)) {
      step.wake(timeout);
      return null;
    }
    pending.remove(pod);
    if (!pending.isEmpty()) {
      step.actions.add(new Action.PruneRecords(Set.copyOf(pending)));
      members.keySet().removeAll(pending);
    }
    if (state.paused()) {
      String why = "paused by annotation after wave " + state.wave();
      return why.equals(state.reason()) ? null : state.withReason(why);
    }
    return nextWave(state, members, opened, events);
  }

  /** Opens the next wave after {@code opened}, or records promoted when none is left. */
  private RolloutState nextWave(
      RolloutState state, Map<String, PodRecord> members, Set<String> opened, List<Event> events) {
    String version = state.version();
    List<String> rest = new ArrayList<>();
    for (String name : members.keySet()) {
      if (!opened.contains(name) && !name.equals(state.canary())) {
        rest.add(name);
      }
    }
    if (rest.isEmpty()) {
      events.add(
          Event.normal(
              "RolloutComplete",
              "version " + version + " promoted: " + members.size() + " pods asked to serve it"));
      return promotedState(state).withPods(fleet(members, state));
    }
    rest.sort(Comparator.comparing(name -> Rank.of(version, name), Long::compareUnsigned));
    int size = policy.waveSize(fleet(members, state));
    String last = rest.get(Math.min(size, rest.size()) - 1);
    return state.withWave(Rank.of(version, last), state.wave() + 1).withPods(fleet(members, state));
  }

  /** The pods with a record, and the canary also if it has none yet. */
  private static int fleet(Map<String, PodRecord> members, RolloutState state) {
    return members.size() + (members.containsKey(state.canary()) ? 0 : 1);
  }

  /**
   * A pod's wait before it claims: its rank's share of one claim slot per pod of the fleet (as the
   * last holder counted it), so the expected gap between two ranks is one slot, whatever the
   * fleet's size, and a later rank sees the first rank's claim before its own turn.
   */
  private Duration claimDelay(String version, RolloutState state) {
    int slots = state.pods() > 0 ? state.pods() : UNKNOWN_FLEET;
    return Rank.delay(Rank.of(version, pod), policy.claimWindow().multipliedBy(slots));
  }

  private static RolloutState promotedState(RolloutState s) {
    return new RolloutState(
        s.resourceVersion(),
        s.paused(),
        s.version(),
        Phase.PROMOTED,
        s.version(),
        s.canary(),
        null,
        s.wave(),
        s.attempt(),
        s.holder(),
        s.renewTime(),
        s.lease(),
        null,
        s.pods());
  }

  private RolloutState rollBack(RolloutState state, String why, List<Event> events) {
    events.add(
        Event.warning(
            "RolledBack",
            why
                + "; pods serve "
                + (state.promoted() == null ? "their last version" : state.promoted())
                + " again"));
    return state.withPhase(Phase.ROLLED_BACK, why);
  }

  // --- bookkeeping ---------------------------------------------------------------------------

  /** Remembers the source's versions in the order they became current (a revert moves last). */
  private void see(String source, Instant now) {
    if (source == null) {
      return;
    }
    String current = null;
    for (String version : seen.keySet()) {
      current = version;
    }
    if (!source.equals(current)) {
      seen.remove(source);
      seen.put(source, now);
      while (seen.size() > HISTORY) {
        seen.remove(seen.keySet().iterator().next());
      }
    }
  }

  /**
   * Whether this pod saw {@code candidate} become current after {@code than}. A version it never
   * saw is no proof of order: the pod may be behind, so it leaves the claim to a pod that knows.
   */
  private boolean isNewer(String candidate, String than) {
    if (than == null) {
      return true;
    }
    int i = 0;
    int candidateAt = -1;
    int thanAt = -1;
    for (String version : seen.keySet()) {
      if (version.equals(candidate)) {
        candidateAt = i;
      }
      if (version.equals(than)) {
        thanAt = i;
      }
      i++;
    }
    return candidateAt >= 0 && thanAt >= 0 && candidateAt > thanAt;
  }

  /**
   * Lease expiry is judged by this pod's own clock from when it saw the lease change (as Kubernetes
   * leader election does), never by comparing clocks across pods.
   */
  private void observeLease(RolloutState state, Instant now) {
    String key =
        state.holder() + "@" + state.renewTime() + "@" + state.version() + "@" + state.attempt();
    if (!key.equals(leaseSeen)) {
      leaseSeen = key;
      leaseSeenAt = now;
    }
  }

  private PodRecord report(AppView app, Instant now) {
    Attempt last = app.last();
    if (app.serving() == null && last == null) {
      return null;
    }
    return last == null
        ? new PodRecord(app.serving(), app.serving(), PodRecord.APPLIED, now, null)
        : new PodRecord(app.serving(), last.version(), last.result(), last.at(), last.error());
  }

  private static boolean sameReport(PodRecord a, PodRecord b) {
    return b != null
        && java.util.Objects.equals(a.serving(), b.serving())
        && java.util.Objects.equals(a.attempted(), b.attempted())
        && java.util.Objects.equals(a.result(), b.result());
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** The actions of one decision and the earliest time to be asked again. */
  private static final class Step {
    final Instant now;
    final List<Action> actions = new ArrayList<>();
    Instant wakeAt;

    Step(Instant now) {
      this.now = now;
    }

    void wake(Instant at) {
      if (wakeAt == null || at.isBefore(wakeAt)) {
        wakeAt = at;
      }
    }
  }
}
