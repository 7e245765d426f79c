package io.podreload.reloader.pipeline;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParseException;
import io.podreload.common.ConfigParser;
import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import io.podreload.common.StatusFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the signal path's reads and checks, right after start, on a thread of its own, until the JIT
 * has compiled them: the watched dirs read the kubelet's way and hashed, their files parsed as the
 * validation parses them, the status file read, and a small built-in sample in each format. Config
 * changes are rare: left to itself the JIT compiles the JDK's code on that path (file and path
 * handling, collections) only after its usual 200 calls, so for the first couple of hundred changes
 * each ran partly in the interpreter, and asked for compiles on the signal's path. It only reads,
 * keeps nothing and logs nothing of what it read (a file that does not parse is the validation's
 * business); it stops at the first change ({@link #changed()}) so it never competes with a reload,
 * and after {@link #MAX_BYTES} read, so a large config costs it few rounds.
 */
final class SignalPathWarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(SignalPathWarmUp.class);

  /** Above the JIT's default threshold (200 calls), for code jvm.options does not lower it for. */
  static final int ROUNDS = 256;

  /**
   * Rounds over the built-in sample: its formats' parsers are the project's own code and
   * SnakeYAML's and Jackson's, which jvm.options has compiled after a few calls.
   */
  static final int SAMPLE_ROUNDS = 40;

  /** At most this much config read over all rounds. */
  static final long MAX_BYTES = 16L << 20;

  private static final List<ConfigFile> SAMPLE =
      List.of(
          file("application.yml", "app:\n  greeting: \"hello\"\n  rate: 10\n  hosts: [a, b]\n"),
          file("application.json", "{\"app\": {\"greeting\": \"hello\", \"rate\": 10}}"),
          file("application.properties", "app.greeting=hello\napp.rate=10\n"));

  private final List<Path> dirs;
  private final Path statusFile;
  private volatile boolean changed;

  /**
   * @param dirs the dirs the signal's path reads (the volume source's)
   * @param statusFile the app's status file, read before every signal
   */
  SignalPathWarmUp(List<Path> dirs, Path statusFile) {
    this.dirs = List.copyOf(dirs);
    this.statusFile = statusFile;
  }

  /** Starts the rounds on a daemon thread; the changes before (the first contents) do not count. */
  void start() {
    changed = false;
    Thread thread = new Thread(this::run, "signal-path-warm-up");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.start();
  }

  /** A change came in: no further round. */
  void changed() {
    changed = true;
  }

  /** The rounds, on the calling thread; returns how many ran, -1 when one failed. */
  int run() {
    long start = System.nanoTime();
    int rounds;
    try {
      rounds = rounds();
    } catch (RuntimeException | Error e) {
      // What no parse check foresaw: the warm-up ends, the reloader runs on. Only the type: a
      // message may quote config.
      LOG.warn("signal path warm-up ended early: {}", e.getClass().getName());
      return -1;
    }
    LOG.info(
        "signal path warmed up: {} of {} rounds in {} ms{}",
        rounds,
        ROUNDS,
        (System.nanoTime() - start) / 1_000_000,
        changed ? " (stopped early: a change came)" : "");
    return rounds;
  }

  private int rounds() {
    List<Path> readable = new ArrayList<>(dirs);
    long bytes = 0;
    int rounds = 0;
    for (; rounds < ROUNDS && !changed && bytes < MAX_BYTES; rounds++) {
      if (rounds < SAMPLE_ROUNDS) {
        parse(new DirSnapshot(Path.of("warm-up"), true, SAMPLE));
      }
      for (Path dir : List.copyOf(readable)) {
        try {
          bytes += parse(KubeletVolume.read(dir));
        } catch (IOException e) {
          readable.remove(dir); // the watch reports it; not read again here
        }
      }
      try {
        new StatusFile.Reader(statusFile).read();
      } catch (IOException e) {
        // none yet, or being replaced: the reads up to here ran all the same
      }
    }
    return rounds;
  }

  /** Parses the snapshot's files as the validation does; returns their size. */
  private static long parse(DirSnapshot snapshot) {
    snapshot.hash();
    long size = 0;
    for (ConfigFile file : snapshot.files()) {
      size += file.content().length;
      try {
        ConfigParser.parse(file);
      } catch (ConfigParseException | RuntimeException e) {
        // Not valid: the validation says so when it matters; the parse ran all the same.
      }
    }
    return size;
  }

  private static ConfigFile file(String name, String text) {
    return new ConfigFile(name, text.getBytes(StandardCharsets.UTF_8));
  }
}
