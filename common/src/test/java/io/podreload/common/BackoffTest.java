package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesUpToTheMaximumWithJitterInTheUpperHalfAndResets() {
    Backoff low = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1), () -> 0.0);
    assertEquals(Duration.ofMillis(100), low.next());
    assertEquals(Duration.ofMillis(200), low.next());
    assertEquals(Duration.ofMillis(400), low.next());
    assertEquals(Duration.ofMillis(500), low.next(), "capped at max, half of it at least");
    assertEquals(Duration.ofSeconds(1), low.step());
    low.reset();
    assertEquals(Duration.ZERO, low.step());
    assertEquals(Duration.ofMillis(100), low.next());

    Backoff high = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1), () -> 0.999999);
    assertEquals(Duration.ofMillis(200), high.next());
    assertEquals(Duration.ofMillis(400), high.next());
  }

  @Test
  void refusesAFirstStepAboveTheMaximumOrZero() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
  }
}
