package io.podreload.reloader.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The warm-up of the signal's path: it runs every round over a sample that parses, and yields. */
class SignalPathWarmUpTest {

  @Test
  void everyRoundRunsWhileNoChangeComes() {
    assertThat(new SignalPathWarmUp().run()).isEqualTo(SignalPathWarmUp.ROUNDS);
  }

  @Test
  void aChangeStopsIt() {
    SignalPathWarmUp warmUp = new SignalPathWarmUp();
    warmUp.changed();
    assertThat(warmUp.run()).isZero();
  }
}
