package io.podreload.reloader.pipeline;

import io.podreload.common.Backoff;
import io.podreload.reloader.source.SourceChange;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * The changes waiting to be reconciled: the latest per dir (a newer change replaces a waiting one),
 * and when they are due. A failed batch comes back after a backoff; new content is due at once,
 * whatever failed before. Driven by a clock and never waits itself, so it is tested without
 * threads; thread-safe (sources offer, the reconcile loop polls).
 */
public final class ChangeQueue {

  static final Duration FIRST_RETRY = Duration.ofMillis(250);

  private final Clock clock;
  private final Backoff backoff;
  private final Map<String, SourceChange> pending = new LinkedHashMap<>();
  private Instant dueAt = Instant.MIN;

  public ChangeQueue(Clock clock, Duration retryMax) {
    this(clock, retryMax, () -> Math.random());
  }

  /** {@code random} draws each backoff's jitter (tests pass a constant). */
  ChangeQueue(Clock clock, Duration retryMax, DoubleSupplier random) {
    this.clock = clock;
    this.backoff = new Backoff(FIRST_RETRY, max(FIRST_RETRY, retryMax), random);
  }

  /** New content of a dir: replaces what waited for that dir, and is due now. */
  public synchronized void offer(SourceChange change) {
    pending.put(change.snapshot().key(), change);
    dueAt = Instant.MIN;
  }

  /** The waiting changes, taken out, when they are due; empty when none are or none wait. */
  public synchronized List<SourceChange> poll() {
    if (pending.isEmpty() || clock.instant().isBefore(dueAt)) {
      return List.of();
    }
    List<SourceChange> batch = new ArrayList<>(pending.values());
    pending.clear();
    return batch;
  }

  /** How long until the waiting changes are due (zero when they are); empty when none wait. */
  public synchronized Optional<Duration> untilDue() {
    if (pending.isEmpty()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    return Optional.of(now.isBefore(dueAt) ? Duration.between(now, dueAt) : Duration.ZERO);
  }

  /** Whether newer content than what is being reconciled waits for this dir. */
  public synchronized boolean hasNewer(String key) {
    return pending.containsKey(key);
  }

  /** A batch that failed: back in the queue (unless newer content came), after the backoff. */
  public synchronized void retryLater(List<SourceChange> batch) {
    putBack(batch);
    dueAt = clock.instant().plus(backoff.next());
  }

  /** A batch that must wait for the app to start: back after {@code delay}, backoff unchanged. */
  public synchronized void retryAfter(List<SourceChange> batch, Duration delay) {
    putBack(batch);
    dueAt = clock.instant().plus(delay);
  }

  /** The app answered: the next failure starts the backoff from its first step. */
  public synchronized void answered() {
    backoff.reset();
  }

  /** The current backoff step (zero after an answer), for tests and logs. */
  public synchronized Duration backoffStep() {
    return backoff.step();
  }

  private void putBack(List<SourceChange> batch) {
    for (SourceChange change : batch) {
      pending.putIfAbsent(change.snapshot().key(), change); // a newer change wins
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
