package io.podreload.reloader.rollout;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link RolloutNode}'s decisions against the coordination store and the app, on the
 * caller's thread: whoever runs it (a reconcile loop, a test, the scale benchmark) calls {@link
 * #tick()} when the state, the source or the app changed, or when the returned time has come.
 */
public final class RolloutAgent {

  private static final Logger LOG = LoggerFactory.getLogger(RolloutAgent.class);
  private static final int MAX_ROUNDS = 8;

  private final RolloutNode node;
  private final CoordinationStore store;
  private final VersionTarget target;
  private final Clock clock;
  private final AtomicLong conflicts = new AtomicLong();

  public RolloutAgent(
      RolloutNode node, CoordinationStore store, VersionTarget target, Clock clock) {
    this.node = node;
    this.store = store;
    this.target = target;
    this.clock = clock;
  }

  public String pod() {
    return node.pod();
  }

  /** Decides on what the store and the app show now. */
  public RolloutNode.Decision decide() {
    RolloutState state = store.state();
    target.pin(state.promoted()); // a rollback returns to it, however many edits came since
    return node.decide(state, store::records, target.view());
  }

  /**
   * Carries out a decision.
   *
   * @return whether something changed that calls for deciding again at once
   */
  public boolean execute(RolloutNode.Decision decision) {
    boolean again = false;
    for (Action action : decision.actions()) {
      if (action instanceof Action.Serve serve) {
        LOG.info("serving version {}", serve.version());
        target.serve(serve.version());
        again = true;
      } else if (action instanceof Action.WriteRecord write) {
        store.writeRecord(node.pod(), write.record());
        node.recordWritten(write.record());
      } else if (action instanceof Action.WriteState write) {
        RolloutState seen = store.state();
        if (!(seen.active() && node.pod().equals(seen.holder()))
            && !store.fresh().resourceVersion().equals(write.next().resourceVersion())) {
          return true; // a claim: someone moved the state meanwhile (the watch had not told yet)
        }
        if (store.replaceState(write.next())) {
          for (Action.Event event : write.events()) {
            LOG.info("rollout: {}: {}", event.reason(), event.message());
            store.event(event);
          }
        } else {
          conflicts.incrementAndGet();
        }
        return true; // the state moved either way: decide on the new one
      } else if (action instanceof Action.PruneRecords prune) {
        LOG.warn(
            "pods {} did not answer their wave in time; their records are removed", prune.pods());
        store.pruneRecords(prune.pods());
      }
    }
    return again;
  }

  /**
   * Decides and carries out until nothing more is to do now.
   *
   * @return when to tick again if nothing changes before (null: only on a change)
   */
  public Instant tick() {
    for (int round = 0; round < MAX_ROUNDS; round++) {
      RolloutNode.Decision decision = decide();
      if (!execute(decision)) {
        return decision.wakeAt();
      }
    }
    return clock.instant();
  }

  /** Writes of the state that lost a compare-and-swap. */
  public long conflicts() {
    return conflicts.get();
  }
}
