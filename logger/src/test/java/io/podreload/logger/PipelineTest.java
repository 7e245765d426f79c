package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One output's pipeline in process, on a real file, with an output written here that records what
 * it is given and fails or blocks when told: what reaches it, when checkpoints are saved, how it
 * stops and how a stuck output shows.
 */
class PipelineTest {
  @TempDir Path dir;

  private final Metrics.OutputMetrics metrics =
      new Metrics(new PrometheusRegistry()).forOutput("recorder");
  private final Recorder output = new Recorder();
  private Pipeline pipeline;

  /** Records each line it is given; fails its next writes or confirmations, or blocks, if told. */
  static final class Recorder implements Output {
    final List<String> lines = new ArrayList<>();
    final AtomicInteger failWrites = new AtomicInteger();
    final AtomicInteger failConfirmations = new AtomicInteger();
    volatile CountDownLatch blockWrites;

    /** What the test looks at each time a confirmation fails, and what it saw then. */
    volatile java.util.concurrent.Callable<Object> atFailedConfirmation;

    final List<Object> seenAtFailedConfirmations =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "recorder";
    }

    @Override
    public LoggerSettings.Batching batching() {
      return new LoggerSettings.Batching(100, 1 << 20, Duration.ZERO);
    }

    @Override
    public void write(Batch batch, StopSignal stopping) throws IOException, InterruptedException {
      CountDownLatch block = blockWrites;
      if (block != null) {
        block.await();
      }
      if (failWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IOException("refused");
      }
      synchronized (lines) {
        for (int i = 0; i < batch.count(); i++) {
          lines.add(
              new String(batch.data(), batch.start(i), batch.length(i), StandardCharsets.UTF_8));
        }
      }
    }

    @Override
    public void awaitWritten() throws IOException {
      if (failConfirmations.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        try {
          seenAtFailedConfirmations.add(atFailedConfirmation.call());
        } catch (Exception e) {
          seenAtFailedConfirmations.add(e);
        }
        throw new IOException("not confirmed");
      }
    }

    List<String> lines() {
      synchronized (lines) {
        return new ArrayList<>(lines);
      }
    }
  }

  private Path log() {
    return dir.resolve("access.log");
  }

  private CheckpointStore store() throws IOException {
    return new CheckpointStore(dir.resolve("state"), output.name(), metrics);
  }

  private Pipeline start() throws IOException {
    Map<String, String> env =
        Map.of(
            "logger.files", log().toString(),
            "logger.state-dir", dir.resolve("state").toString(),
            "logger.poll-interval", "1ms",
            "logger.checkpoint-interval", "1ms",
            "logger.stall-timeout", "1s");
    LoggerSettings settings = LoggerSettings.from(name -> Optional.ofNullable(env.get(name)));
    FileFollower follower =
        new FileFollower(log(), store(), metrics, output.name(), 1024, TimeUnit.SECONDS.toNanos(1));
    pipeline = new Pipeline(output, List.of(follower), store(), metrics, settings);
    pipeline.start();
    return pipeline;
  }

  @AfterEach
  void stop() throws Exception {
    if (pipeline != null) {
      CountDownLatch block = output.blockWrites;
      if (block != null) {
        block.countDown();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      pipeline.requestStop(deadline);
      pipeline.awaitStopped(deadline);
    }
  }

  private static ConditionFactory patiently() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5));
  }

  private static List<String> numbered(int from, int to) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add("GET /" + i + " 200");
    }
    return lines;
  }

  private void append(int from, int to) throws IOException {
    Files.writeString(
        log(),
        String.join("\n", numbered(from, to)) + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  private Optional<Long> savedOffset() throws IOException {
    return store().load(log()).map(Checkpoint::offset);
  }

  @Test
  void theLinesReachTheOutputInOrderInBatchesAndTheCheckpointFollows() throws Exception {
    append(0, 1000);
    start();
    patiently().until(() -> output.lines().size() >= 1000);
    append(1000, 1500);
    patiently().until(() -> output.lines().size() >= 1500);
    assertThat(output.lines()).isEqualTo(numbered(0, 1500));
    long size = Files.size(log());
    patiently().until(() -> savedOffset().equals(Optional.of(size)));
    assertThat(metrics.linesRead.value()).isEqualTo(1500.0);
  }

  /** A write that fails keeps its batch: it is given again, whole, after a backoff. */
  @Test
  void aFailedWriteIsRetriedWithTheSameLinesAndNothingIsLostOrRepeated() throws Exception {
    output.failWrites.set(3);
    append(0, 250);
    start();
    patiently().until(() -> output.lines().size() >= 250);
    assertThat(output.lines()).isEqualTo(numbered(0, 250));
    assertThat(metrics.retries.value()).isEqualTo(3.0);
    assertThat(pipeline.failing()).isFalse();
  }

  /** A checkpoint covers only lines the output confirmed: none while it cannot confirm them. */
  @Test
  void noCheckpointIsSavedWhileTheOutputCannotConfirmItsLines() throws Exception {
    output.failConfirmations.set(3);
    output.atFailedConfirmation = this::savedOffset;
    append(0, 10);
    start();
    patiently().until(() -> metrics.retries.value() >= 3);
    assertThat(output.lines()).isEqualTo(numbered(0, 10));
    assertThat(output.seenAtFailedConfirmations)
        .as("checkpoints on disk while the lines were not confirmed")
        .containsExactly(Optional.empty(), Optional.empty(), Optional.empty());
    long size = Files.size(log());
    patiently().until(() -> savedOffset().equals(Optional.of(size)));
    assertThat(metrics.retries.value()).isEqualTo(3.0);
  }

  @Test
  void aStopWritesWhatTheFileHoldsSavesTheCheckpointAndEnds() throws Exception {
    append(0, 5000);
    start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    pipeline.requestStop(deadline);
    assertThat(pipeline.awaitStopped(deadline)).isTrue();
    assertThat(output.lines()).isEqualTo(numbered(0, 5000));
    assertThat(savedOffset()).contains(Files.size(log()));
    assertThat(pipeline.downReason()).isNull(); // stopping is no failure
    pipeline = null;
  }

  /** Liveness: an output stuck in a write for longer than the stall timeout is seen, and named. */
  @Test
  void anOutputStuckInAWriteMakesThePipelineDownUntilItMovesAgain() throws Exception {
    output.blockWrites = new CountDownLatch(1);
    append(0, 10);
    start();
    assertThat(pipeline.alive()).isTrue();
    patiently().until(() -> !pipeline.alive());
    assertThat(pipeline.downReason()).contains("silent for").contains("accepts data");
    output.blockWrites.countDown();
    patiently().until(() -> output.lines().size() >= 10);
    patiently().until(pipeline::alive);
  }

  /** A file that cannot be read is a problem of that file, retried: the pipeline goes on. */
  @Test
  void aFileThatCannotBeReadIsReportedAndReadOnceItCanBe() throws Exception {
    Files.createDirectories(log()); // a directory where the file should be
    start();
    FileFollower follower = pipeline.followers().get(0);
    patiently().until(() -> follower.problem() != null);
    assertThat(follower.problem()).contains("is a directory");
    Files.delete(log());
    append(0, 3);
    patiently().until(() -> output.lines().size() >= 3);
    assertThat(output.lines()).isEqualTo(numbered(0, 3));
    assertThat(follower.problem()).isNull();
    assertThat(pipeline.alive()).isTrue();
  }
}
