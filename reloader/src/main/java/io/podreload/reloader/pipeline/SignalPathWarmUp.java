package io.podreload.reloader.pipeline;

import io.podreload.common.ConfigFile;
import io.podreload.common.ConfigParseException;
import io.podreload.common.ConfigParser;
import io.podreload.common.DirSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the signal path's pure work (a dir's content hashed, YAML, JSON and properties parsed) over
 * a small built-in sample a few dozen times, once, right after start, on a thread of its own.
 * Config changes are rare: left to itself the JIT compiles that code only after a couple of dozen
 * changes (jvm.options lowers the thresholds), and until then each change runs it in the
 * interpreter, about twice the CPU. It costs some tens of milliseconds of CPU once; it reads
 * nothing and keeps nothing, and it stops at the first change ({@link #changed()}) so it never
 * competes with a reload.
 */
final class SignalPathWarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(SignalPathWarmUp.class);
  static final int ROUNDS = 40;

  private static final List<ConfigFile> SAMPLE =
      List.of(
          file("application.yml", "app:\n  greeting: \"hello\"\n  rate: 10\n  hosts: [a, b]\n"),
          file("application.json", "{\"app\": {\"greeting\": \"hello\", \"rate\": 10}}"),
          file("application.properties", "app.greeting=hello\napp.rate=10\n"));

  private volatile boolean changed;

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

  /** The rounds, on the calling thread; returns how many ran. */
  int run() {
    long start = System.nanoTime();
    int rounds = 0;
    try {
      for (; rounds < ROUNDS && !changed; rounds++) {
        new DirSnapshot(Path.of("warm-up"), true, SAMPLE).hash();
        for (ConfigFile file : SAMPLE) {
          ConfigParser.parse(file);
        }
      }
    } catch (ConfigParseException | RuntimeException e) {
      // The sample parses; were it ever not to, the warm-up only ends early.
    }
    LOG.info(
        "signal path warmed up: {} of {} rounds in {} ms{}",
        rounds,
        ROUNDS,
        (System.nanoTime() - start) / 1_000_000,
        rounds < ROUNDS ? " (stopped early: a change came)" : "");
    return rounds;
  }

  private static ConfigFile file(String name, String text) {
    return new ConfigFile(name, text.getBytes(StandardCharsets.UTF_8));
  }
}
