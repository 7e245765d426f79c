package io.podreload.reloader.rollout;

import io.podreload.common.Backoff;
import io.podreload.common.Heartbeat;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link RolloutAgent} on a thread of its own: a tick whenever something changed ({@link
 * #poke()}: a watch event, a new source version, the app's answer) or when the agent asked to be
 * woken. A failed tick (the API server away) is retried with backoff; an {@link Error} is logged
 * and retried too, so the thread never dies unseen.
 */
public final class RolloutRunner implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RolloutRunner.class);
  private static final Duration IDLE = Duration.ofSeconds(30);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private final RolloutAgent agent;
  private final Clock clock;
  private final Object lock = new Object();
  private final Thread thread;
  private final Backoff backoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
  private final Heartbeat heartbeat;
  private boolean poked = true;
  private volatile boolean closed;
  private volatile Instant lastTick;

  public RolloutRunner(RolloutAgent agent, Clock clock) {
    this.agent = agent;
    this.clock = clock;
    this.thread = new Thread(this::loop, "rollout-" + agent.pod());
    this.thread.setDaemon(true);
    // Idle, it ticks every 30 s; a tick may wait for the app's answer and the API's.
    this.heartbeat = new Heartbeat("rollout", IDLE.multipliedBy(4), clock);
  }

  public void start() {
    thread.start();
  }

  /** Something changed: tick soon. */
  public void poke() {
    synchronized (lock) {
      poked = true;
      lock.notifyAll();
    }
  }

  /** When the loop last ticked. */
  public Instant lastTick() {
    return lastTick;
  }

  /** The loop's sign of life, for {@code /health/liveness}. */
  public Heartbeat heartbeat() {
    return heartbeat;
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }

  private void loop() {
    while (!closed) {
      Instant wake;
      try {
        synchronized (lock) {
          poked = false;
        }
        wake = agent.tick();
        lastTick = clock.instant();
        backoff.reset();
      } catch (RuntimeException | Error e) {
        Duration wait = backoff.next();
        LOG.warn("rollout step failed, retrying in {} ms: {}", wait.toMillis(), e.toString());
        wake = clock.instant().plus(wait);
      }
      heartbeat.beat();
      Instant until = wake == null ? clock.instant().plus(IDLE) : wake;
      try {
        synchronized (lock) {
          while (!poked && !closed) {
            long millis = Duration.between(clock.instant(), until).toMillis();
            if (millis <= 0) {
              break;
            }
            lock.wait(Math.min(millis, IDLE.toMillis()));
          }
        }
      } catch (InterruptedException e) {
        break;
      }
    }
    heartbeat.dead("closed");
  }
}
