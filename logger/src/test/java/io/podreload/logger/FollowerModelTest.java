package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model-based test of the real {@link FileFollower} and {@link CheckpointStore} on a temp dir, as
 * Vector's file source is tested: random sequences of what writers, rotators and the logger's own
 * life do to a followed file, and an oracle that says what must come out.
 *
 * <p>The oracle holds the exactness statement of docs/architecture.md: every complete line comes
 * out, in the order it was written; exactly once, except that after a crash the lines put out since
 * the last checkpoint may come out again; a line may be missing only if the file that held it was
 * truncated or deleted (or a rotated copy was removed) before the follower read it, and then the
 * part of it the follower had read may come out (a fragment).
 *
 * <p>Seeded and deterministic: the world's clock sets every file's modification time, and moves
 * only on {@code CLOCK} and {@code TICK} steps, so rotations within one tick of a coarse clock are
 * as common as they can be in the field. {@code -Dmodel.sequences=N} and {@code -Dmodel.seed=S} run
 * other or more sequences, {@code -Dmodel.steps=...} one sequence. A failure prints its seed and
 * the sequence, shrunk by leaving out steps while it still fails.
 */
class FollowerModelTest {
  @TempDir Path tmp;

  private static final int KEEP_ROTATED = 3;

  /** One step of a sequence. */
  enum Kind {
    APPEND,
    PARTIAL,
    POLL,
    ROTATE_RENAME,
    ROTATE_COPYTRUNCATE,
    /**
     * copytruncate with lines written between the copy and the truncation: they are in neither file
     * (logrotate's loss), unless the follower read them from the file first.
     */
    ROTATE_COPYTRUNCATE_WINDOW,
    TRUNCATE,
    DELETE_RECREATE,
    CHECKPOINT,
    STOP,
    CRASH,
    START,
    /** Time passes: rotated files are quiet long enough to be finished. */
    TICK,
    /**
     * The file system's clock ticks (a second): until it does, every write, creation and truncation
     * gives its file the same modification time, as a coarse clock does to rotations in a burst.
     */
    CLOCK
  }

  record Step(Kind kind, int n) {
    @Override
    public String toString() {
      return n > 0 ? kind + "(" + n + ")" : kind.toString();
    }
  }

  static List<Step> generate(Random random, int length) {
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      int r = random.nextInt(100);
      Step step;
      if (r < 25) {
        step = new Step(Kind.APPEND, 1 + random.nextInt(random.nextInt(10) == 0 ? 500 : 6));
      } else if (r < 30) {
        step = new Step(Kind.PARTIAL, 1);
      } else if (r < 50) {
        step = new Step(Kind.POLL, 1 + random.nextInt(3));
      } else if (r < 57) {
        step = new Step(Kind.ROTATE_RENAME, 0);
      } else if (r < 61) {
        step = new Step(Kind.ROTATE_COPYTRUNCATE, 0);
      } else if (r < 63) {
        step = new Step(Kind.ROTATE_COPYTRUNCATE_WINDOW, 1 + random.nextInt(3));
      } else if (r < 65) {
        step = new Step(Kind.TRUNCATE, 0);
      } else if (r < 68) {
        step = new Step(Kind.DELETE_RECREATE, 0);
      } else if (r < 78) {
        step = new Step(Kind.CHECKPOINT, 0);
      } else if (r < 83) {
        step = new Step(Kind.STOP, 0);
      } else if (r < 88) {
        step = new Step(Kind.CRASH, 0);
      } else if (r < 92) {
        step = new Step(Kind.START, 0);
      } else if (r < 94) {
        step = new Step(Kind.TICK, 0);
      } else {
        step = new Step(Kind.CLOCK, 0);
      }
      steps.add(step);
    }
    return steps;
  }

  /**
   * Runs in every verify: {@code model.sequences} sequences (2000), or as many as {@code
   * model.seconds} (40) allow on a busy machine. A failure prints its sequence, shrunk, and how to
   * run it alone ({@code -Dmodel.steps=...}).
   */
  @Test
  void randomSequencesOfWritesRotationsAndRestartsKeepTheExactnessStatement() throws Exception {
    String only = System.getProperty("model.steps");
    if (only != null) {
      List<Step> steps = parse(only);
      String failure = run(steps, 0);
      if (failure != null) {
        throw new AssertionError(steps + " fails: " + failure);
      }
      return;
    }
    int sequences = Integer.getInteger("model.sequences", 2000);
    long seed = Long.getLong("model.seed", 20261201L);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("model.seconds", 40));
    Random random = new Random(seed);
    int s = 0;
    for (; s < sequences && System.nanoTime() < deadline; s++) {
      long sequenceSeed = random.nextLong();
      List<Step> steps = generate(new Random(sequenceSeed), 10 + (int) (sequenceSeed >>> 59));
      String failure = run(steps, s);
      if (failure != null) {
        List<Step> shrunk = shrink(steps, s);
        throw new AssertionError(
            "sequence "
                + s
                + " (seed "
                + seed
                + ") fails: "
                + failure
                + "\n  steps: "
                + steps
                + "\n  shrunk: "
                + shrunk
                + "\n  which fails with: "
                + run(shrunk, s)
                + "\n  run it alone: ./mvnw -pl logger -am verify -DskipITs"
                + " -Dtest=FollowerModelTest -Dmodel.steps='"
                + String.join(",", shrunk.stream().map(Step::toString).toList())
                + "'");
      }
    }
    System.out.println(
        "FollowerModelTest: " + s + " sequences (seed " + seed + ") keep the statement");
    assertThat(s).as("sequences run").isGreaterThanOrEqualTo(Math.min(sequences, 200));
  }

  /**
   * Sequences the random ones found, each a case the follower once got wrong, shrunk: they run
   * every time, whatever the seed. Most hold rotations within one tick of the file system's clock
   * (no {@code CLOCK} step: every file has the same modification time), or a first line half
   * written when the follower looked.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        // copytruncate of a file opened empty, in the tick it was written (the copy is older)
        "APPEND(3),ROTATE_COPYTRUNCATE",
        "APPEND(6),ROTATE_COPYTRUNCATE,APPEND(3),CHECKPOINT",
        "CRASH,APPEND(4),ROTATE_COPYTRUNCATE,APPEND(6)",
        // a file deleted at the name after a copytruncate: the copy comes first
        "APPEND(2),ROTATE_COPYTRUNCATE,APPEND(2),DELETE_RECREATE",
        // the file at the name copied by copytruncate before the follower reached it: the copy
        // is read, then the file at the name past what the copy held (not again from its start)
        "ROTATE_RENAME,APPEND(3),TICK,ROTATE_COPYTRUNCATE_WINDOW(3)",
        // a checkpoint of an empty file: the files before it are not read again
        "APPEND(6),ROTATE_RENAME,TICK,STOP,APPEND(3)",
        // an inode taken again by a new file after a checkpoint that named it
        "APPEND(1),ROTATE_RENAME,ROTATE_RENAME,STOP,ROTATE_RENAME,ROTATE_RENAME,APPEND(6)",
        // first bytes without a whole line: truncated and written again with the same start
        "PARTIAL(1),POLL(1),ROTATE_COPYTRUNCATE,APPEND(6)",
        "PARTIAL(1),STOP,ROTATE_COPYTRUNCATE,APPEND(2)",
        "PARTIAL(1),POLL(3),CHECKPOINT,CRASH,ROTATE_COPYTRUNCATE,APPEND(5)",
        "PARTIAL(1),POLL(1),ROTATE_COPYTRUNCATE,APPEND(2),ROTATE_COPYTRUNCATE",
        "PARTIAL(1),POLL(1),ROTATE_RENAME,APPEND(2),ROTATE_COPYTRUNCATE",
        // a half-read line whose file is truncated with no copy comes out as far as it was read
        "PARTIAL(1),POLL(1),TRUNCATE,POLL(1)",
        // truncated, written, copied: the copy's lines before the file's new ones
        "APPEND(3),POLL(1),TRUNCATE,APPEND(5),ROTATE_COPYTRUNCATE,APPEND(5)",
        "APPEND(3),POLL(1),TRUNCATE,APPEND(5),ROTATE_COPYTRUNCATE,APPEND(5),ROTATE_RENAME",
        // a renamed file removed unread: the files seen at the name after it keep their order
        "ROTATE_RENAME,POLL(3),APPEND(3),ROTATE_RENAME,ROTATE_RENAME,ROTATE_RENAME",
        "ROTATE_RENAME,ROTATE_COPYTRUNCATE,APPEND(4),POLL(3),ROTATE_RENAME,PARTIAL(1),ROTATE_RENAME",
        "ROTATE_RENAME,ROTATE_RENAME,ROTATE_RENAME,CRASH,APPEND(295),ROTATE_RENAME",
        // lines written between copytruncate's copy and its truncation, read from the file: the
        // copy, shorter than what was read, is not read again (LogrotateIT once saw it repeated)
        "APPEND(1),POLL(1),ROTATE_COPYTRUNCATE_WINDOW(1)",
        "APPEND(1),POLL(3),ROTATE_COPYTRUNCATE_WINDOW(3)",
        // a copy seen before the truncation: the file still holds its lines, it is read instead
        "APPEND(2),TICK,ROTATE_COPYTRUNCATE_WINDOW(2)"
      })
  void sequencesFoundBefore(String sequence) throws Exception {
    assertThat(run(parse(sequence), 0)).as(sequence).isNull();
  }

  /** {@code APPEND(3),ROTATE_RENAME}: the steps as a failure prints them. */
  static List<Step> parse(String text) {
    List<Step> steps = new ArrayList<>();
    for (String one : text.replace("[", "").replace("]", "").split(",")) {
      String name = one.trim();
      int n = 0;
      if (name.contains("(")) {
        n = Integer.parseInt(name.substring(name.indexOf('(') + 1, name.indexOf(')')));
        name = name.substring(0, name.indexOf('('));
      }
      steps.add(new Step(Kind.valueOf(name), n));
    }
    return steps;
  }

  /** Leaves out one step at a time while the sequence still fails. */
  List<Step> shrink(List<Step> steps, int id) throws Exception {
    List<Step> current = new ArrayList<>(steps);
    boolean smaller = true;
    while (smaller) {
      smaller = false;
      for (int i = 0; i < current.size(); i++) {
        List<Step> candidate = new ArrayList<>(current);
        candidate.remove(i);
        if (run(candidate, id) != null) {
          current = candidate;
          smaller = true;
          i--;
        }
      }
    }
    return current;
  }

  /**
   * Runs {@code steps} in a fresh directory; the oracle's complaint, or null. The directory is in
   * /dev/shm where there is one: real files, without the cost of the checkpoints' fsyncs.
   */
  String run(List<Step> steps, int id) throws Exception {
    Path shm = Path.of("/dev/shm");
    Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : tmp;
    Path dir = Files.createTempDirectory(base, "podreload-model-" + id + "-");
    try {
      return new World(dir).run(steps);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** The files, the writer, the logger (a follower and its checkpoints) and the oracle's notes. */
  static final class World {
    final Path dir;
    final Path log;
    final Metrics.OutputMetrics metrics = new Metrics(new PrometheusRegistry()).forOutput("stdout");
    CheckpointStore store;
    FileFollower follower;
    final Batch batch = new Batch();

    int nextLine;
    String partial; // the line begun in the file, not finished

    /** Line ids in each file: index 0 is access.log, 1 is access.log.1, ... */
    final List<List<Integer>> files = new ArrayList<>();

    final List<Integer> output = new ArrayList<>();
    final Set<Integer> emitted = new HashSet<>();
    final Set<Integer> mayBeLost = new HashSet<>();
    final Map<Integer, Integer> mayRepeat = new HashMap<>();
    final List<Integer> sinceCheckpoint = new ArrayList<>();
    final List<Integer> copiedBeforeATruncation = new ArrayList<>();
    final List<String> problems = new ArrayList<>();

    World(Path dir) throws IOException {
      this.dir = dir;
      this.log = dir.resolve("access.log");
      Files.createFile(log);
      touched(log);
      files.add(new ArrayList<>());
      store = new CheckpointStore(dir.resolve("state"), "stdout", metrics);
      start();
    }

    String run(List<Step> steps) throws IOException {
      for (Step step : steps) {
        apply(step);
        if (!problems.isEmpty()) {
          return problems.get(0);
        }
      }
      // the end: finish any line, start if down, let time pass, read everything
      finishPartial();
      clock.now += TimeUnit.HOURS.toMillis(2);
      if (follower == null) {
        start();
      }
      drain();
      return check();
    }

    void apply(Step step) throws IOException {
      switch (step.kind()) {
        case APPEND -> {
          finishPartial();
          StringBuilder text = new StringBuilder();
          for (int i = 0; i < step.n(); i++) {
            text.append(line(nextLine)).append('\n');
            files.get(0).add(nextLine++);
          }
          write(text.toString());
        }
        case PARTIAL -> {
          finishPartial();
          String whole = line(nextLine);
          partial = whole;
          write(whole.substring(0, whole.length() / 2));
        }
        case POLL -> {
          for (int i = 0; i < step.n() && follower != null; i++) {
            poll();
          }
        }
        case ROTATE_RENAME -> {
          finishPartial();
          shift();
          Files.move(log, rotated(1));
          Files.createFile(log);
          touched(log);
          files.add(0, new ArrayList<>()); // the old list is now access.log.1's
        }
        case ROTATE_COPYTRUNCATE -> {
          finishPartial();
          shift();
          Files.copy(log, rotated(1), StandardCopyOption.COPY_ATTRIBUTES);
          try (var ch = java.nio.channels.FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(0);
          }
          touched(log);
          files.add(1, new ArrayList<>(files.get(0)));
          files.get(0).clear();
        }
        case ROTATE_COPYTRUNCATE_WINDOW -> {
          finishPartial();
          shift();
          Files.copy(log, rotated(1), StandardCopyOption.COPY_ATTRIBUTES);
          List<Integer> copied = new ArrayList<>(files.get(0));
          apply(new Step(Kind.APPEND, step.n())); // the window
          for (int i = 0; i < step.n() && follower != null; i++) {
            poll(); // the follower may read them before the truncation
          }
          unread(files.get(0).subList(copied.size(), files.get(0).size()));
          // Known limit: a kill -9 before the follower saw the truncation may leave a checkpoint
          // past the copy's end, in a file now emptied; after the restart the copy, shorter than
          // the checkpoint's first bytes, is not recognised and is read again from its start.
          copiedBeforeATruncation.addAll(copied);
          try (var ch = java.nio.channels.FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(0);
          }
          touched(log);
          files.add(1, copied);
          files.set(0, new ArrayList<>());
        }
        case TRUNCATE -> {
          finishPartial();
          unread(files.get(0));
          try (var ch = java.nio.channels.FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(0);
          }
          touched(log);
          files.get(0).clear();
        }
        case DELETE_RECREATE -> {
          finishPartial();
          unread(files.get(0));
          Files.delete(log);
          Files.createFile(log);
          touched(log);
          files.get(0).clear();
        }
        case CHECKPOINT -> {
          if (follower != null) {
            checkpoint();
          }
        }
        case STOP -> {
          if (follower != null) {
            drain(); // SIGTERM: read to the end, write, checkpoint
            follower.close();
            follower = null;
          }
        }
        case CRASH -> {
          if (follower != null) {
            // kill -9: what was put out since the last checkpoint may come out again
            for (int line : sinceCheckpoint) {
              mayRepeat.merge(line, 1, Integer::sum);
            }
            for (int line : copiedBeforeATruncation) {
              mayRepeat.merge(line, 1, Integer::sum);
            }
            copiedBeforeATruncation.clear();
            sinceCheckpoint.clear();
            follower.close();
            follower = null;
          }
        }
        case START -> {
          if (follower == null) {
            start();
          }
        }
        case TICK -> {
          finishPartial(); // the writer never leaves a line half written that long
          clock.now += TimeUnit.HOURS.toMillis(2);
        }
        case CLOCK -> clock.now += 1000;
      }
    }

    /** The line numbered {@code n}: its number and a filler of varying length. */
    static String line(int n) {
      String number = Integer.toString(n);
      return "0".repeat(8 - number.length()) + number + " " + "x".repeat((n * 7919) % 61);
    }

    void write(String text) throws IOException {
      Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      touched(log);
    }

    /** The writer ends the line it began (before anything else happens to the file). */
    void finishPartial() throws IOException {
      if (partial != null) {
        write(partial.substring(partial.length() / 2) + "\n");
        files.get(0).add(nextLine++);
        partial = null;
      }
    }

    Path rotated(int i) {
      return dir.resolve("access.log." + i);
    }

    /** access.log.2 becomes .3 and so on; the oldest beyond what is kept is removed. */
    void shift() throws IOException {
      for (int i = KEEP_ROTATED; i >= 1; i--) {
        if (Files.exists(rotated(i))) {
          if (i == KEEP_ROTATED) {
            Files.delete(rotated(i));
            unread(files.remove(i));
          } else {
            Files.move(rotated(i), rotated(i + 1));
          }
        }
      }
    }

    /** Lines of a file that goes away: those not yet put out may be lost. */
    void unread(List<Integer> lines) {
      for (int line : lines) {
        if (!emitted.contains(line)) {
          mayBeLost.add(line);
        }
      }
    }

    /**
     * The time of the world: the follower's wall clock, and every file's modification time (set at
     * each change), so that a sequence does the same each time it runs.
     */
    final ModelClock clock = new ModelClock();

    /** Gives {@code file} the world's time as its modification time, as a change to it does. */
    void touched(Path file) throws IOException {
      Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(clock.now));
    }

    /** A logger starts: it opens the file (or its checkpoint's) at once and saves where it is. */
    void start() throws IOException {
      follower =
          new FileFollower(
              log, store, metrics, "stdout", 1024 * 1024, TimeUnit.HOURS.toNanos(1), clock);
      poll();
      checkpoint();
    }

    boolean poll() throws IOException {
      boolean progress = follower.poll(batch, 1000, 1 << 20);
      for (int i = 0; i < batch.count(); i++) {
        String text =
            new String(batch.data(), batch.start(i), batch.length(i), StandardCharsets.UTF_8);
        int n;
        try {
          n = Integer.parseInt(text.substring(0, 8));
        } catch (RuntimeException e) {
          n = -1;
        }
        if (n < 0 || !text.equals(line(n))) {
          if (fragmentOfALostLine(text)) {
            continue; // not a line that came out: what was read of one that is gone
          }
          problems.add(
              n < 0
                  ? "a line that was never written: '" + text + "'"
                  : "line " + n + " came out as '" + text + "'");
          return false;
        }
        output.add(n);
        emitted.add(n);
        sinceCheckpoint.add(n);
      }
      batch.clear();
      return progress;
    }

    /**
     * The start of a line that may be lost. The follower had read the first half of a line when its
     * file was truncated (or removed) with no copy left: the rest is gone, and what it had read
     * comes out rather than being dropped too. The oracle takes it for neither the line nor a line
     * never written.
     */
    boolean fragmentOfALostLine(String text) {
      for (int n : mayBeLost) {
        String whole = line(n);
        if (text.length() < whole.length() && whole.startsWith(text)) {
          return true;
        }
      }
      return false;
    }

    Checkpoint saved;

    /** As the pipeline saves: only a checkpoint that moved (its file's time says when it did). */
    void checkpoint() throws IOException {
      Checkpoint c = follower.checkpoint();
      if (c != null && !c.equals(saved)) {
        store.save(c);
        saved = c;
      }
      sinceCheckpoint.clear();
    }

    void drain() throws IOException {
      int quiet = 0;
      for (int i = 0; i < 10_000 && quiet < 3; i++) {
        quiet = poll() ? 0 : quiet + 1;
      }
      checkpoint();
    }

    String check() {
      Map<Integer, Integer> counts = new HashMap<>();
      for (int n : output) {
        counts.merge(n, 1, Integer::sum);
      }
      for (int n = 0; n < nextLine; n++) {
        int times = counts.getOrDefault(n, 0);
        if (times == 0 && !mayBeLost.contains(n)) {
          return "line " + n + " was lost; output " + output;
        }
        if (times > 1 + mayRepeat.getOrDefault(n, 0)) {
          return "line " + n + " came out " + times + " times; output " + output;
        }
      }
      int last = -1;
      Set<Integer> seen = new HashSet<>();
      for (int n : output) {
        if (seen.add(n)) {
          if (n < last) {
            return "line " + n + " came out after line " + last + "; output " + output;
          }
          last = n;
        }
      }
      return null;
    }
  }

  /** A wall clock that moves only when the sequence says so. */
  static final class ModelClock extends java.time.Clock {
    long now = 1_800_000_000_000L;

    @Override
    public long millis() {
      return now;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(now);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }
}
