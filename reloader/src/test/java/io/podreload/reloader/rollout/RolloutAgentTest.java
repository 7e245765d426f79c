package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the agent does around its node's decisions. */
class RolloutAgentTest {

  @Test
  void everyDecisionPinsTheLastPromotedVersionSoARollbackCanReturnToIt() {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-01T00:00:00Z"));
    InMemoryCoordination coordination = new InMemoryCoordination();
    CoordinationStore store = coordination.storeFor("pod-b");
    RolloutPolicy policy = RolloutPolicy.defaults();
    assertThat(
            store.replaceState(
                RolloutState.start(
                    store.state().resourceVersion(),
                    "v2",
                    "v1",
                    "pod-a",
                    clock.instant(),
                    policy.lease(),
                    2)))
        .isTrue();
    SimulatedApp app = new SimulatedApp(clock, "v2", Set.of(), Set.of());
    List<String> pinned = new ArrayList<>();
    VersionTarget target =
        new VersionTarget() {
          @Override
          public AppView view() {
            return app.view();
          }

          @Override
          public void serve(String version) {
            app.serve(version);
          }

          @Override
          public void pin(String version) {
            pinned.add(version);
          }
        };

    new RolloutAgent(new RolloutNode("pod-b", policy, clock), store, target, clock).decide();

    assertThat(pinned).containsExactly("v1");
  }
}
