package io.podreload.reloader.source;

import io.podreload.common.Backoff;
import io.podreload.common.DirSnapshot;
import io.podreload.common.Heartbeat;
import io.podreload.common.KubeletVolume;
import io.podreload.reloader.ReloaderSettings;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches ConfigMap/Secret volume dirs ({@code RELOADER_VOLUME_DIRS}). In the kubelet's layout a
 * change is complete when {@code ..data} is swapped, so that event is acted on at once; a plain dir
 * edited in place or by an editor's rename-over save is read once it has been quiet for the quiet
 * period. Every dir is also re-hashed on a timer, because inotify can miss events and some volume
 * types deliver none. Only a change of the content's hash is reported.
 *
 * <p>The watch thread reads inotify itself ({@link Inotify}) and reports the change on the same
 * thread, so the kernel's event becomes a reload with no thread hand-off in between.
 */
@Singleton
public final class VolumeSource implements ConfigSource {

  public static final String NAME = "volume";
  private static final Logger LOG = LoggerFactory.getLogger(VolumeSource.class);

  /**
   * How long the watch thread polls without sleeping once a new payload dir or {@code ..data_tmp}
   * appears: the kubelet writes the payload and renames {@code ..data_tmp} over {@code ..data}
   * right after, and polling saves the thread's wake-up (0.1-0.5 ms) on the signal's path. Bounded,
   * in case the rename comes later or never.
   */
  static final long SWAP_SPIN_NANOS = 1_000_000;

  private final ReloaderSettings settings;
  private final Clock clock;
  private final Map<Path, String> reportedHash = new HashMap<>();
  private final Map<Path, Instant> quietUntil = new LinkedHashMap<>();
  private final Map<Path, Instant> firstSeen = new HashMap<>();
  private final Map<Integer, Path> watchedDirs = new HashMap<>();

  private SnapshotListener listener;
  private Inotify inotify;
  private final SourceLoop loop;
  private Instant nextRehash;
  private boolean swapComing; // a kubelet write began and its swap was not seen yet
  private volatile String problem;

  public VolumeSource(ReloaderSettings settings) {
    this(settings, Clock.systemUTC());
  }

  VolumeSource(ReloaderSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    // It wakes at least every re-hash interval. A failed watch is a problem at once: the next
    // round re-reads every dir, and until one works only the re-hash timer would see a change.
    this.loop =
        new SourceLoop(
            "volume-watch",
            settings.rehashInterval().multipliedBy(6),
            new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5)),
            Duration.ZERO,
            clock);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public synchronized void start(SnapshotListener listener) throws IOException {
    this.listener = listener;
    this.inotify = Inotify.open();
    for (Path dir : dirs()) {
      register(dir);
      rehash(dir, clock.instant(), true);
    }
    nextRehash = clock.instant().plus(settings.rehashInterval());
    loop.start(this::watchRound);
    LOG.info(
        "watching {} (the ..data swap at once, plain edits after {} ms quiet, re-hash every {} s)",
        dirs(),
        settings.quietPeriod().toMillis(),
        settings.rehashInterval().toSeconds());
  }

  @Override
  public Optional<String> problem() {
    return Optional.ofNullable(problem).or(loop::problem);
  }

  @Override
  public void close() {
    loop.close();
    if (inotify != null) {
      inotify.close();
    }
  }

  private List<Path> dirs() {
    return settings.volumeDirs();
  }

  /** One round of the watch thread; after a failure, every dir is re-hashed next time. */
  private Duration watchRound() throws IOException {
    try {
      nextRehash = watchOnce(nextRehash);
    } catch (RuntimeException | Error e) {
      nextRehash = clock.instant();
      throw e;
    }
    loop.succeeded();
    return Duration.ZERO;
  }

  @Override
  public List<Heartbeat> heartbeats() {
    return List.of(loop.heartbeat());
  }

  /** One wait for an event or a timer, and what it calls for; returns the next re-hash time. */
  private Instant watchOnce(Instant nextRehash) throws IOException {
    Instant now = clock.instant();
    Instant wakeAt = nextRehash;
    for (Instant quiet : quietUntil.values()) {
      wakeAt = quiet.isBefore(wakeAt) ? quiet : wakeAt;
    }
    long waitMillis = Math.max(0, wakeAt.toEpochMilli() - now.toEpochMilli());
    handle(swapComing ? inotify.await(waitMillis, SWAP_SPIN_NANOS) : inotify.await(waitMillis));
    now = clock.instant();
    for (Path dir : List.copyOf(quietUntil.keySet())) {
      if (!now.isBefore(quietUntil.get(dir))) {
        quietUntil.remove(dir);
        rehash(dir, firstSeen.remove(dir), false);
      }
    }
    if (!now.isBefore(nextRehash)) {
      nextRehash = now.plus(settings.rehashInterval());
      for (Path dir : dirs()) {
        if (!watchedDirs.containsValue(dir)) {
          register(dir); // created since, or replaced
        }
        rehash(dir, now, false);
      }
    }
    return nextRehash;
  }

  private void handle(List<Inotify.Event> events) {
    Instant now = clock.instant();
    swapComing = false;
    for (Inotify.Event event : events) {
      if (event.is(Inotify.IN_Q_OVERFLOW)) {
        watchedDirs.values().forEach(dir -> rehash(dir, now, false)); // events lost: read all
        continue;
      }
      Path dir = watchedDirs.get(event.wd());
      if (dir == null) {
        continue;
      }
      if (event.is(Inotify.IN_IGNORED | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF)) {
        watchedDirs.remove(event.wd()); // the dir went away; re-registered when it is back
        rehash(dir, now, false);
        continue;
      }
      String name = event.name();
      if (name.equals(KubeletVolume.DATA_LINK)
          && event.is(Inotify.IN_CREATE | Inotify.IN_MOVED_TO)) {
        swapComing = false;
        quietUntil.remove(dir);
        rehash(dir, firstSeen.getOrDefault(dir, now), false); // the swap: complete, act now
        firstSeen.remove(dir);
      } else if (name.startsWith("..")) {
        swapComing |= announcesSwap(event);
      } else {
        // A plain dir edited in steps: wait until it has been still for the quiet period.
        quietUntil.put(dir, now.plus(settings.quietPeriod()));
        firstSeen.putIfAbsent(dir, now);
      }
    }
  }

  /**
   * Whether this event on a {@code ..} entry means the kubelet is writing a new version and renames
   * {@code ..data_tmp} over {@code ..data} next: a new payload dir, its mode set (the kubelet's
   * AtomicWriter chmods it right after creating it), or {@code ..data_tmp} created. Each of them
   * keeps the watch thread polling until the swap; the old payload's removal after it does not.
   */
  static boolean announcesSwap(Inotify.Event event) {
    return event.name().startsWith("..")
        && !event.name().equals(KubeletVolume.DATA_LINK)
        && event.is(Inotify.IN_CREATE | Inotify.IN_ATTRIB);
  }

  private void register(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try {
      watchedDirs.put(inotify.watch(dir, Inotify.DIR_EVENTS), dir);
    } catch (IOException e) {
      LOG.warn(
          "cannot watch {} ({}); relying on the re-hash every {} s",
          dir,
          e.getMessage(),
          settings.rehashInterval().toSeconds());
    }
  }

  private void rehash(Path dir, Instant seenAt, boolean initial) {
    DirSnapshot snapshot;
    try {
      snapshot = KubeletVolume.read(dir);
    } catch (IOException e) {
      String message =
          "cannot read " + dir + ": " + e + " (check the volume's mode and the reloader's user)";
      if (!message.equals(problem)) {
        LOG.warn(message);
      }
      problem = message;
      return;
    }
    if (problem != null && problem.startsWith("cannot read " + dir)) {
      problem = null;
    }
    String hash = snapshot.present() ? snapshot.hash() : "missing";
    if (!initial && hash.equals(reportedHash.get(dir))) {
      return;
    }
    reportedHash.put(dir, hash);
    if (!snapshot.present()) {
      LOG.warn("{} does not exist (yet); waiting for it", dir);
    }
    listener.changed(
        new SourceChange(NAME, snapshot, seenAt == null ? clock.instant() : seenAt, ""));
  }
}
