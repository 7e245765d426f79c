package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FailureClockTest {

  private final TestClock clock = new TestClock();
  private final FailureClock failures = new FailureClock(Duration.ofSeconds(60), clock);

  @Test
  void logsTheFirstFailureAndAChangeOfProblemNotEveryRetry() {
    assertTrue(failures.failed("connection refused"));
    assertFalse(failures.failed("connection refused"));
    assertTrue(failures.failed("403 permission denied"));
    assertFalse(failures.failed("403 permission denied"));
  }

  @Test
  void degradesOnlyAfterFailingLongerThanDegradedAfterAndSuccessResets() {
    failures.failed("refused");
    clock.advance(Duration.ofSeconds(60));
    assertFalse(failures.degraded(), "exactly degraded-after is not yet over it");
    assertEquals(Optional.empty(), failures.problem());
    clock.advance(Duration.ofSeconds(1));
    assertTrue(failures.degraded());
    assertEquals(Optional.of("failing for 61 s: refused"), failures.problem());

    assertEquals(Optional.of(Duration.ofSeconds(61)), failures.succeeded());
    assertFalse(failures.failing());
    assertFalse(failures.degraded());
    assertEquals(Optional.empty(), failures.succeeded(), "nothing to recover from");
    assertTrue(failures.failed("refused"), "a new failure after a success is news again");
  }

  @Test
  void aFailureRepeatedWithoutSuccessKeepsItsStartTime() {
    // A watch that connects and fails every cycle: the connect is not a success.
    for (int i = 0; i < 7; i++) {
      failures.failed("watch ended: 500");
      clock.advance(Duration.ofSeconds(10));
    }
    assertTrue(failures.degraded());
  }
}
