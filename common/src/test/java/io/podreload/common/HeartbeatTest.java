package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeartbeatTest {

  private final TestClock clock = new TestClock();

  @Test
  void livenessIsDownWhenAThreadIsSilentTooLongOrEnded() {
    Heartbeat reconcile = new Heartbeat("reconcile", Duration.ofSeconds(30), clock);
    Heartbeat volume = new Heartbeat("volume", Duration.ofSeconds(30), clock);
    assertTrue(Health.of(List.of(reconcile, volume)).up());

    clock.advance(Duration.ofSeconds(31));
    reconcile.beat();
    Health silent = Health.of(List.of(reconcile, volume));
    assertFalse(silent.up());
    assertEquals(
        Map.of("threads", Map.of("volume", "thread volume silent for 31 s")), silent.details());

    volume.beat();
    assertNull(volume.problem());
    reconcile.dead("java.lang.StackOverflowError");
    assertEquals("thread reconcile ended: java.lang.StackOverflowError", reconcile.problem());
  }
}
