package io.podreload.reloader.rollout;

import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import io.podreload.reloader.rollout.AppView.Attempt;
import io.podreload.reloader.rollout.AppView.HealthSample;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.target.AppTarget;
import io.podreload.reloader.target.AppTarget.Answer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app under progressive rollout: a version is served by rendering its approved content into the
 * render dir ({@link ApprovedContent}, the only writer of that dir) and reloading the app through
 * its {@link AppTarget}; what the app serves is what its status file reports for the render dir.
 * Used by the rollout's thread only.
 */
public final class RenderDirTarget implements VersionTarget {

  private static final Logger LOG = LoggerFactory.getLogger(RenderDirTarget.class);
  private static final Duration STARTING_POLL = Duration.ofMillis(100);

  private final ApprovedContent approved;
  private final AppTarget app;
  private final String key;
  private final Supplier<HealthSample> health;
  private final Duration startWait;
  private final Clock clock;
  private volatile String acknowledged;
  private volatile Attempt last;
  private volatile int reloads;

  /**
   * @param renderDir the app's render dir, the one {@code approved} renders into
   * @param startWait how long a serve waits for an app that is starting (the confirm timeout)
   */
  public RenderDirTarget(
      ApprovedContent approved,
      Path renderDir,
      AppTarget app,
      Supplier<HealthSample> health,
      Duration startWait,
      Clock clock) {
    this.approved = approved;
    this.app = app;
    this.key = DirSnapshot.keyOf(renderDir);
    this.health = health;
    this.startWait = startWait;
    this.clock = clock;
  }

  /**
   * What a previous run of the reloader left in the render dir was approved then: its content is
   * kept (to return to it) and, when the app reports it, it is what the app serves.
   */
  public void adopt(Path renderDir) throws IOException {
    DirSnapshot there = KubeletVolume.read(renderDir);
    if (there.present() && !there.files().isEmpty()) {
      approved.keep(there);
      if (reports(there.hash())) {
        acknowledged = there.hash();
      }
    }
  }

  @Override
  public AppView view() {
    return new AppView(approved.offered(), serving(), last, health, approved::has);
  }

  /** The version the app reports for the render dir, else the last one it acknowledged. */
  String serving() {
    Optional<String> rendered = approved.rendered();
    if (rendered.isPresent() && reports(rendered.get())) {
      return rendered.get();
    }
    return acknowledged;
  }

  /** Reloads asked of the app (signals or requests), for logs and tests. */
  int reloads() {
    return reloads;
  }

  @Override
  public void pin(String version) {
    approved.pin(version);
  }

  @Override
  public void serve(String version) {
    try {
      approved.render(version);
    } catch (IOException | IllegalStateException e) {
      failed(version, "cannot render into the render dir: " + e.getMessage());
      return;
    }
    Map<String, String> expected = Map.of(key, version);
    Optional<Answer> already = waitWhileStarting(expected);
    Answer answer;
    try {
      if (already.isPresent()) {
        answer = already.get();
      } else {
        reloads++;
        answer = app.reload(expected);
      }
    } catch (TriggerException e) {
      failed(version, e.getMessage());
      return;
    }
    switch (answer.result()) {
      case APPLIED -> {
        acknowledged = version;
        last = new Attempt(version, PodRecord.APPLIED, null, clock.instant());
        LOG.info("the app ({}) serves version {}", answer.who(), version);
      }
      case REJECTED -> {
        last = new Attempt(version, PodRecord.REJECTED, answer.message(), clock.instant());
        LOG.warn("the app rejected version {}: {}", version, answer.message());
      }
      default -> failed(version, answer.message());
    }
  }

  /**
   * An app that is starting reads the render dir by itself, and a signal could kill it before it
   * handles signals: wait (at most the confirm timeout) until it answered once.
   */
  private Optional<Answer> waitWhileStarting(Map<String, String> expected) {
    long deadline = System.nanoTime() + startWait.toNanos();
    while (!app.readiness().ready() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(STARTING_POLL.toNanos());
    }
    return app.serving(expected);
  }

  private boolean reports(String version) {
    return app.serving(Map.of(key, version))
        .filter(a -> a.result() == Answer.Result.APPLIED)
        .isPresent();
  }

  private void failed(String version, String why) {
    last = new Attempt(version, PodRecord.FAILED, why, clock.instant());
    LOG.warn("version {} was not served: {}", version, why);
  }
}
