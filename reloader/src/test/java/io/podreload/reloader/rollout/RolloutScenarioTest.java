package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rollout's scenarios on simulated pods (state machine, agent, an in-memory store with the
 * API's compare-and-swap, a manual clock): no threads, no HTTP, so every run is the same.
 */
class RolloutScenarioTest {

  private static final Duration BAKE = Duration.ofSeconds(30);

  private static RolloutPolicy policy() {
    return new RolloutPolicy(
        BAKE,
        0.01,
        10,
        0.25,
        Duration.ofSeconds(15),
        Duration.ofMillis(250),
        Duration.ofSeconds(60),
        3);
  }

  /** A fleet that served v0 from the start and has registered. */
  private static SimulatedFleet fleet(int pods, Set<String> bad, Set<String> rejected) {
    SimulatedFleet fleet = new SimulatedFleet(pods, policy(), "v0", bad, rejected);
    assertThat(fleet.runUntil(() -> fleet.allServe("v0"), Duration.ofSeconds(1))).isTrue();
    fleet.step();
    assertThat(fleet.coordination.records()).hasSize(pods);
    return fleet;
  }

  @Test
  void
      aGoodEditReachesTheCanaryFirstAndTheOthersOnlyAfterItPassedThenAllServeItWithOneReloadEach() {
    SimulatedFleet fleet = fleet(3, Set.of(), Set.of());
    fleet.edit("v1");
    Instant edited = fleet.clock.instant();

    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    String canary = fleet.state().canary();
    assertThat(
            fleet.runUntil(() -> "v1".equals(fleet.app(canary).serving()), Duration.ofSeconds(1)))
        .isTrue();
    // during the bake only the canary serves v1
    Map<String, Instant> firstServed = new HashMap<>();
    Instant passed = null;
    while (!fleet.allServe("v1")) {
      assertThat(fleet.clock.instant()).isBefore(edited.plus(BAKE).plusSeconds(10));
      fleet.step();
      if (passed == null && fleet.state().phase() != Phase.CANARY) {
        passed = fleet.clock.instant();
      }
      for (String pod : fleet.pods()) {
        if ("v1".equals(fleet.app(pod).serving())) {
          firstServed.putIfAbsent(pod, fleet.clock.instant());
        }
      }
    }
    assertThat(passed).isAfterOrEqualTo(edited.plus(BAKE));
    for (String pod : fleet.pods()) {
      if (!pod.equals(canary)) {
        assertThat(firstServed.get(pod)).as(pod).isAfterOrEqualTo(passed);
      }
      assertThat(fleet.app(pod).reloads()).as("reloads of " + pod).isEqualTo(1);
      assertThat(fleet.app(pod).served()).containsExactly("v0", "v1");
    }
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(2)))
        .isTrue();
    assertThat(fleet.state().promoted()).isEqualTo("v1");
    assertThat(fleet.coordination.events())
        .extracting(Action.Event::reason)
        .containsExactly("RolloutStarted", "CanaryPassed", "RolloutComplete");
    assertThat(fleet.coordination.records().values())
        .allSatisfy(r -> assertThat(r.acked("v1")).isTrue());
  }

  @Test
  void wavesFollowTheRankOrderAndEachWaitsForThePreviousWavesAcknowledgements() {
    SimulatedFleet fleet = fleet(8, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(60)))
        .isTrue();
    assertThat(fleet.allServe("v1")).isTrue();
    List<RolloutState> promoting =
        fleet.coordination.history().stream().filter(s -> s.phase() == Phase.PROMOTING).toList();
    // canary, then waves of ceil(25% of 8) = 2 pods: 7 others in 4 waves
    assertThat(promoting.stream().map(RolloutState::wave).distinct()).containsExactly(1, 2, 3, 4);
    long previous = 0;
    for (RolloutState wave : promoting.stream().filter(s -> s.reason() == null).toList()) {
      int opened = 0;
      for (String pod : fleet.pods()) {
        if (!pod.equals(wave.canary()) && Rank.within(Rank.of("v1", pod), wave.threshold())) {
          opened++;
        }
      }
      assertThat(opened).isEqualTo(Math.min(2 * wave.wave(), 7));
      assertThat(Long.compareUnsigned(wave.threshold(), previous)).isGreaterThanOrEqualTo(0);
      previous = wave.threshold();
    }
  }

  @Test
  void anEditThatMakesTheCanaryAnswer5xxIsRolledBackWithinTheBakeAndNoOtherPodEverServesIt() {
    SimulatedFleet fleet = fleet(3, Set.of("bad"), Set.of());
    fleet.edit("bad");
    Instant edited = fleet.clock.instant();
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    String canary = fleet.state().canary();

    assertThat(
            fleet.runUntil(
                () -> fleet.state().phase() == Phase.ROLLED_BACK && fleet.allServe("v0"),
                BAKE.plusSeconds(1)))
        .isTrue();
    assertThat(fleet.clock.instant()).isBefore(edited.plus(BAKE).plusSeconds(1));
    assertThat(fleet.state().reason()).contains(canary).contains("5xx");
    assertThat(fleet.app(canary).served()).containsExactly("v0", "bad", "v0");
    for (String pod : fleet.pods()) {
      if (!pod.equals(canary)) {
        assertThat(fleet.app(pod).served()).as(pod).containsExactly("v0");
      }
    }
    // and it stays so: the ConfigMap still holds the bad version
    fleet.runUntil(() -> false, Duration.ofSeconds(60));
    assertThat(fleet.allServe("v0")).isTrue();
    assertThat(fleet.coordination.events())
        .extracting(Action.Event::reason)
        .containsExactly("RolloutStarted", "RolledBack");
  }

  @Test
  void aVersionTheCanarysAppRejectsIsRolledBackAtOnce() {
    SimulatedFleet fleet = fleet(3, Set.of(), Set.of("v1"));
    fleet.edit("v1");
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.ROLLED_BACK, Duration.ofSeconds(3)))
        .isTrue();
    assertThat(fleet.state().reason()).contains("rejected").contains("must be positive");
    assertThat(fleet.allServe("v0")).isTrue();
  }

  @Test
  void whenTheCanaryDiesMidBakeAnotherPodTakesTheClaimAfterTheLeaseAndTheRolloutFinishes() {
    SimulatedFleet fleet = fleet(3, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    String first = fleet.state().canary();
    fleet.runUntil(() -> false, Duration.ofSeconds(10));
    fleet.kill(first);
    Instant killed = fleet.clock.instant();

    assertThat(fleet.runUntil(() -> !first.equals(fleet.state().canary()), Duration.ofSeconds(20)))
        .isTrue();
    assertThat(fleet.clock.instant())
        .isAfterOrEqualTo(killed.plus(policy().lease()).minusSeconds(5))
        .isBefore(
            killed
                .plus(policy().lease())
                .plus(policy().claimWindow().multipliedBy(4))
                .plusSeconds(1));
    assertThat(fleet.state().attempt()).isEqualTo(2);
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(90)))
        .isTrue();
    assertThat(fleet.allServe("v1")).isTrue();
  }

  @Test
  void twoEditsInQuickSuccessionTheLaterWinsAndNoPodEndsOnTheEarlier() {
    SimulatedFleet fleet = fleet(4, Set.of(), Set.of());
    fleet.edit("v1");
    fleet.runUntil(() -> false, Duration.ofSeconds(3));
    fleet.edit("v2");
    assertThat(
            fleet.runUntil(
                () -> fleet.state().phase() == Phase.PROMOTED && fleet.allServe("v2"),
                Duration.ofSeconds(90)))
        .isTrue();
    assertThat(fleet.state().version()).isEqualTo("v2");
    assertThat(fleet.serving().values()).containsOnly("v2");
    // nobody but a canary ever served v1
    long servedV1 = fleet.pods().stream().filter(p -> fleet.app(p).served().contains("v1")).count();
    assertThat(servedV1).isLessThanOrEqualTo(1);
  }

  @Test
  void aPodThatDoesNotAnswerItsWaveIsLeftBehindAfterTheWaveTimeoutAndTheRestIsPromoted() {
    SimulatedFleet fleet = fleet(4, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    String gone =
        fleet.pods().stream().filter(p -> !p.equals(fleet.state().canary())).findFirst().get();
    fleet.kill(gone);
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(150)))
        .isTrue();
    assertThat(fleet.coordination.records()).doesNotContainKey(gone).hasSize(3);
    assertThat(fleet.allServe("v1")).isTrue();
  }

  @Test
  void aPausedRolloutOpensNoWaveUntilTheAnnotationIsRemoved() {
    SimulatedFleet fleet = fleet(3, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    fleet.coordination.pause(true);
    fleet.runUntil(() -> false, BAKE.plusSeconds(30));
    assertThat(fleet.state().phase()).isEqualTo(Phase.CANARY);
    assertThat(fleet.state().reason()).contains("paused");
    assertThat(fleet.serving().values().stream().filter("v1"::equals).count()).isEqualTo(1);

    fleet.coordination.pause(false);
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(10)))
        .isTrue();
    assertThat(fleet.allServe("v1")).isTrue();
  }

  @Test
  void podsThatClaimAtTheSameMomentLeaveExactlyOneHolderAndLoseNoPodsRecord() {
    RolloutPolicy racing =
        new RolloutPolicy(
            BAKE, 0.01, 10, 0.25, Duration.ofSeconds(15), Duration.ZERO, Duration.ofSeconds(60), 3);
    SimulatedFleet fleet = new SimulatedFleet(30, racing, "v0", Set.of(), Set.of());
    fleet.stepTogether();
    fleet.stepTogether();
    assertThat(fleet.coordination.records()).hasSize(30);
    fleet.edit("v1");
    fleet.stepTogether();

    // one claim is written; the others see it when they read before writing, or lose the
    // compare-and-swap: never a second holder
    assertThat(fleet.coordination.history()).hasSize(1);
    assertThat(fleet.coordination.conflicts()).isLessThanOrEqualTo(29);
    assertThat(fleet.state().holder()).isNotNull();
    fleet.stepTogether();
    assertThat(fleet.coordination.records()).hasSize(30);
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(120)))
        .isTrue();
    assertThat(fleet.coordination.records().values())
        .hasSize(30)
        .allSatisfy(r -> assertThat(r.acked("v1")).isTrue());
  }

  @Test
  void withTheClaimWindowOnlyTheFirstRankClaimsSoAFleetOf30HasNoConflict() {
    SimulatedFleet fleet = fleet(30, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(120)))
        .isTrue();
    assertThat(fleet.coordination.conflicts()).isZero();
    String first =
        fleet.pods().stream()
            .min((a, b) -> Long.compareUnsigned(Rank.of("v1", a), Rank.of("v1", b)))
            .get();
    // the first rank claims (or one whose turn came within the same 100 ms step of the simulation)
    String canary = fleet.coordination.history().get(0).canary();
    Duration window = fleet.policy.claimWindow().multipliedBy(4); // the fleet size not yet known
    assertThat(fleet.state().pods()).isEqualTo(30); // the next claim spreads over 30 slots
    assertThat(
            Rank.delay(Rank.of("v1", canary), window)
                .minus(Rank.delay(Rank.of("v1", first), window)))
        .isLessThan(SimulatedFleet.STEP);
  }

  @Test
  void aHolderThatStalledPastItsLeaseAndWakesUpWritesNothingOverTheNewHolder() {
    SimulatedFleet fleet = fleet(3, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    String stalled = fleet.state().holder();
    RolloutState itsView = fleet.state();
    fleet.kill(stalled);
    assertThat(
            fleet.runUntil(() -> !stalled.equals(fleet.state().holder()), Duration.ofSeconds(30)))
        .isTrue();
    int takenOver = fleet.coordination.history().size();
    // it wakes up with a renewal decided before it stalled: the compare-and-swap refuses it
    fleet.revive(stalled);
    fleet
        .agent(stalled)
        .execute(
            new RolloutNode.Decision(
                List.of(
                    new Action.WriteState(
                        itsView.renewedBy(stalled, fleet.clock.instant(), Duration.ofSeconds(15)),
                        List.of())),
                null));
    assertThat(fleet.state().holder()).isNotEqualTo(stalled);
    assertThat(fleet.coordination.history()).hasSize(takenOver);
    // and had it written without looking, the compare-and-swap would have refused it
    assertThat(
            fleet
                .coordination
                .storeFor(stalled)
                .replaceState(
                    itsView.renewedBy(stalled, fleet.clock.instant(), Duration.ofSeconds(15))))
        .isFalse();
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, Duration.ofSeconds(90)))
        .isTrue();
    assertThat(fleet.coordination.history().subList(takenOver, fleet.coordination.history().size()))
        .extracting(RolloutState::holder)
        .doesNotContain(stalled);
    assertThat(fleet.allServe("v1")).isTrue();
  }

  @Test
  void aFailingCanaryIsRolledBackEvenWhilePaused() {
    SimulatedFleet fleet = fleet(3, Set.of("bad"), Set.of());
    fleet.edit("bad");
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    fleet.coordination.pause(true);
    assertThat(
            fleet.runUntil(
                () -> fleet.state().phase() == Phase.ROLLED_BACK && fleet.allServe("v0"),
                BAKE.plusSeconds(1)))
        .isTrue();
  }

  @Test
  void noRolloutStartsWhilePaused() {
    SimulatedFleet fleet = fleet(3, Set.of(), Set.of());
    fleet.coordination.pause(true);
    fleet.edit("v1");
    fleet.runUntil(() -> false, Duration.ofSeconds(30));
    assertThat(fleet.state().started()).isFalse();
    assertThat(fleet.allServe("v0")).isTrue();
    fleet.coordination.pause(false);
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.PROMOTED, BAKE.plusSeconds(30)))
        .isTrue();
  }

  @Test
  void afterThreeCanariesStoppedRenewingTheVersionIsRolledBack() {
    SimulatedFleet fleet = fleet(4, Set.of(), Set.of());
    fleet.edit("v1");
    for (int canary = 1; canary <= 3; canary++) {
      int attempt = canary;
      assertThat(
              fleet.runUntil(
                  () -> fleet.state().phase() == Phase.CANARY && fleet.state().attempt() == attempt,
                  Duration.ofSeconds(30)))
          .isTrue();
      fleet.kill(fleet.state().canary());
    }
    assertThat(
            fleet.runUntil(
                () -> fleet.state().phase() == Phase.ROLLED_BACK, Duration.ofSeconds(30)))
        .isTrue();
    assertThat(fleet.state().reason()).contains("3 canaries");
    assertThat(fleet.allServe("v0")).isTrue();
  }

  @Test
  void aPodOfAWaveThatFailsTheVersionRollsTheRolloutBackAndTheWaveReturnsToThePromotedVersion() {
    SimulatedFleet fleet = fleet(4, Set.of(), Set.of());
    fleet.edit("v1");
    assertThat(fleet.runUntil(() -> fleet.state().phase() == Phase.CANARY, Duration.ofSeconds(2)))
        .isTrue();
    String canary = fleet.state().canary();
    String refuses =
        fleet.pods().stream()
            .filter(p -> !p.equals(canary))
            .min((a, b) -> Long.compareUnsigned(Rank.of("v1", a), Rank.of("v1", b)))
            .get(); // in the first wave
    fleet.app(refuses).reject("v1");
    assertThat(
            fleet.runUntil(() -> fleet.state().phase() == Phase.ROLLED_BACK, BAKE.plusSeconds(10)))
        .isTrue();
    assertThat(fleet.state().reason()).contains(refuses).contains("rejected");
    assertThat(fleet.runUntil(() -> fleet.allServe("v0"), Duration.ofSeconds(2))).isTrue();
  }
}
