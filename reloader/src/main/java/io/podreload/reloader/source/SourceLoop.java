package io.podreload.reloader.source;

import io.podreload.common.Backoff;
import io.podreload.common.FailureClock;
import io.podreload.common.Heartbeat;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small base every source's thread stands on: one daemon thread that runs the source's step
 * again and again, a heartbeat for {@code /health/liveness}, the common {@link Backoff} after a
 * failure, a {@link FailureClock} (degraded after how long, one log line per kind of trouble), and
 * no way to die unseen: an exception or an {@link Error} from a step is a failure like any other,
 * logged by its type only (a message may quote config), and the loop goes on. Only {@link #close()}
 * ends it.
 *
 * <p>A source's logic lives in its {@link Step}, which tests call directly, without the thread.
 */
public final class SourceLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SourceLoop.class);

  /** One round of a source's work. */
  @FunctionalInterface
  public interface Step {
    /**
     * Does what is due.
     *
     * @return how long to wait before the next round (zero: at once)
     * @throws Exception a failure: the loop records it and waits out the backoff
     */
    Duration run() throws Exception;
  }

  private final String name;
  private final Heartbeat heartbeat;
  private final FailureClock failures;
  private final Backoff backoff;
  private final Object wake = new Object();
  private Thread thread;
  private volatile boolean closed;

  /**
   * @param name the thread's name, and the heartbeat's
   * @param silentAfter how long a round may take (plus its wait) before liveness says it hangs
   * @param backoff waits after failures
   * @param degradedAfter how long failures may last before {@link #problem()} speaks
   */
  public SourceLoop(
      String name, Duration silentAfter, Backoff backoff, Duration degradedAfter, Clock clock) {
    this.name = name;
    this.heartbeat = new Heartbeat(name, silentAfter, clock);
    this.failures = new FailureClock(degradedAfter, clock);
    this.backoff = backoff;
  }

  /** Starts the thread; it runs {@code step} until closed. */
  public synchronized void start(Step step) {
    thread = new Thread(() -> loop(step), name);
    thread.setDaemon(true);
    thread.start();
  }

  private void loop(Step step) {
    try {
      while (!closed) {
        heartbeat.beat();
        Duration wait;
        try {
          wait = step.run();
        } catch (InterruptedException e) {
          return;
        } catch (Exception | Error e) {
          if (closed) {
            return;
          }
          // Only the type: a message may quote config.
          failed("failed unexpectedly: " + e.getClass().getName());
          wait = retryWait();
        }
        pause(wait);
      }
    } catch (InterruptedException e) {
      // closed
    } finally {
      heartbeat.dead(closed ? "closed" : "ended");
    }
  }

  /** Records a failure: logged when it is news (the first, or a different problem). */
  public void failed(String problem) {
    if (failures.failed(problem)) {
      LOG.warn("{}: {}", name, problem);
    }
  }

  /** The wait before the next attempt after a failure: the backoff's next step. */
  public Duration retryWait() {
    return backoff.next();
  }

  /** Records a success: the backoff starts again from its first step. */
  public void succeeded() {
    backoff.reset();
    failures
        .succeeded()
        .ifPresent(d -> LOG.info("{} works again after {} s of failures", name, d.toSeconds()));
  }

  /** When failing for longer than degraded-after: what fails, and since how long. */
  public Optional<String> problem() {
    return failures.problem();
  }

  public boolean degraded() {
    return failures.degraded();
  }

  public boolean failing() {
    return failures.failing();
  }

  public Heartbeat heartbeat() {
    return heartbeat;
  }

  /** Ends the next round now instead of after its wait. */
  public void wakeUp() {
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  private void pause(Duration wait) throws InterruptedException {
    if (wait.isZero() || wait.isNegative() || closed) {
      return;
    }
    synchronized (wake) {
      wake.wait(Math.max(1, wait.toMillis()));
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
    }
  }
}
