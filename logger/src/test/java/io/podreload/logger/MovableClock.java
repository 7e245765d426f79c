package io.podreload.logger;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

/** The real time, plus the hours {@link #advance} added: files written now look long quiet. */
final class MovableClock extends Clock {
  private volatile long offsetMillis;

  void advance() {
    offsetMillis += TimeUnit.HOURS.toMillis(2);
  }

  @Override
  public long millis() {
    return System.currentTimeMillis() + offsetMillis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}
