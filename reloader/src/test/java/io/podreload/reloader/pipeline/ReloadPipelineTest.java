package io.podreload.reloader.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.common.ConfigFile;
import io.podreload.common.DirSnapshot;
import io.podreload.common.KubeletVolume;
import io.podreload.common.PrometheusRegistry;
import io.podreload.common.ReloadStatus;
import io.podreload.common.StatusFile;
import io.podreload.reloader.ReloaderSettings;
import io.podreload.reloader.TestSettings;
import io.podreload.reloader.signal.ReloadTrigger;
import io.podreload.reloader.signal.TriggerException;
import io.podreload.reloader.source.ConfigSource;
import io.podreload.reloader.source.ReloadOutcome;
import io.podreload.reloader.source.SnapshotListener;
import io.podreload.reloader.source.SourceChange;
import io.podreload.reloader.target.SignalTarget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline against a hand-written app stand-in: a trigger that, like the app, "loads" what the
 * dir holds at that moment and writes the status file, after a delay the test chooses.
 */
class ReloadPipelineTest {

  @TempDir Path tmp;
  Path dir;
  Path statusFile;
  final long pid = ProcessHandle.current().pid(); // alive, so a status from it counts
  final AtomicReference<DirSnapshot> dirContent = new AtomicReference<>();
  final AtomicInteger triggers = new AtomicInteger();
  final AtomicInteger attempts = new AtomicInteger();
  final List<ReloadOutcome> outcomes = new CopyOnWriteArrayList<>();
  volatile long ackDelayMillis;
  volatile String rejectWith;
  volatile TriggerException failWith;
  volatile Error errorOnce;
  final List<Thread> triggeredOn = new CopyOnWriteArrayList<>();
  volatile Runnable collect = () -> {};
  ReloadTrigger app;
  ConfigSource source;
  ReloaderSettings settings;
  ReloadPipeline pipeline;
  PrometheusRegistry registry = new PrometheusRegistry();

  @BeforeEach
  void setUp() throws IOException {
    dir = tmp.resolve("config");
    statusFile = tmp.resolve("status.json");
    app =
        new ReloadTrigger() {
          @Override
          public List<Long> trigger() throws TriggerException {
            if (failWith != null) {
              throw failWith;
            }
            Error error = errorOnce;
            if (error != null) {
              errorOnce = null;
              throw error;
            }
            triggers.incrementAndGet();
            triggeredOn.add(Thread.currentThread());
            DirSnapshot loaded = dirContent.get();
            Thread ack =
                new Thread(
                    () -> {
                      try {
                        Thread.sleep(ackDelayMillis);
                        writeStatus(loaded, rejectWith);
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                    });
            ack.start();
            return List.of(pid);
          }

          @Override
          public List<Long> targets() {
            return List.of(pid);
          }
        };
    source = source("volume");
    settings =
        TestSettings.reloader(
            Path.of("/proc"),
            Map.of(
                "reloader.status-file",
                statusFile.toString(),
                "reloader.confirm-timeout",
                "2000",
                "reloader.rehash-interval",
                "200",
                "reloader.secret-dirs",
                tmp.resolve("secrets").toString()));
    pipeline = newPipeline();
    pipeline.sourcesStarted();
  }

  /** A source named {@code name} that starts nothing and keeps the outcomes it is told. */
  private ConfigSource source(String name) {
    return new ConfigSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void start(SnapshotListener listener) {}

      @Override
      public Optional<String> problem() {
        return Optional.empty();
      }

      @Override
      public void reloaded(SourceChange change, ReloadOutcome outcome) {
        outcomes.add(outcome);
      }

      @Override
      public void close() {}
    };
  }

  private ReloadPipeline newPipeline() {
    return newPipeline(true);
  }

  private ReloadPipeline newPipeline(boolean start) {
    ReloadPipeline pipeline =
        new ReloadPipeline(
            settings,
            new SignalTarget(settings, app),
            new ReloaderMetrics(registry),
            List.of(source),
            Clock.systemUTC(),
            () -> collect.run());
    if (start) {
      pipeline.start();
    }
    return pipeline;
  }

  @AfterEach
  void tearDown() {
    pipeline.close();
  }

  synchronized void writeStatus(DirSnapshot loaded, String error) throws IOException {
    int attempt = attempts.incrementAndGet();
    StatusFile.write(
        statusFile,
        new ReloadStatus(
            pid,
            attempt,
            "v" + attempt,
            error == null ? ReloadStatus.APPLIED : ReloadStatus.REJECTED,
            error,
            Instant.now().toString(),
            attempt,
            Map.of(loaded.key(), loaded.hash())));
  }

  SourceChange change(String yaml) {
    DirSnapshot snapshot =
        new DirSnapshot(
            dir,
            true,
            List.of(new ConfigFile("application.yml", yaml.getBytes(StandardCharsets.UTF_8))));
    dirContent.set(snapshot);
    return new SourceChange("volume", snapshot, Instant.now(), "");
  }

  double count(String result) {
    return registry.value("reloader_reloads_total", "result", result);
  }

  /** The signal path's warm-up never competes with a reload: a change stops it. */
  @Test
  void aChangeStopsTheSignalPathsWarmUp() {
    pipeline.changed(change("a: 1\n"));
    assertThat(pipeline.warmUp.run()).isZero();
  }

  /**
   * The warm-up reads the volume source's dirs (a 1 MB config uses up its byte budget in a few
   * rounds), and only when that source runs: the API and Vault sources render, then signal.
   */
  @Test
  void theWarmUpReadsTheVolumeDirsOnlyWhenTheVolumeSourceRuns() throws Exception {
    Path large = tmp.resolve("large");
    KubeletVolume.write(
        large, Map.of("application.yml", SignalPathWarmUpTest.yaml(1_000_000)), null);
    ReloaderSettings withLarge =
        TestSettings.reloader(
            Path.of("/proc"),
            Map.of(
                "reloader.status-file", statusFile.toString(),
                "reloader.volume-dirs", large.toString()));
    assertThat(warmUpRounds(withLarge, "volume")).isLessThan(SignalPathWarmUp.ROUNDS / 10);
    assertThat(warmUpRounds(withLarge, "configmap")).isEqualTo(SignalPathWarmUp.ROUNDS);
  }

  private int warmUpRounds(ReloaderSettings settings, String sourceName) {
    return new ReloadPipeline(
            settings,
            new SignalTarget(settings, app),
            new ReloaderMetrics(new PrometheusRegistry()),
            List.of(source(sourceName)),
            Clock.systemUTC(),
            () -> {})
        .warmUp.run();
  }

  @Test
  void aChangeIsSignalledOnceAndConfirmedFromTheStatusFile() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null); // the app, started on older content
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 1);
    assertThat(triggers).hasValue(1);
    assertThat(outcomes)
        .extracting(ReloadOutcome::result)
        .containsExactly(ReloadOutcome.Result.APPLIED);
    assertThat(registry.value("reloader_reload_latency_seconds")).isEqualTo(1);
  }

  @Test
  void contentTheAppAlreadyLoadedNeedsNoSignal() throws Exception {
    SourceChange current = change("a: 1\n");
    writeStatus(current.snapshot(), null);
    pipeline.changed(current);
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 1);
    assertThat(triggers).hasValue(0);
  }

  @Test
  void aSyntaxErrorIsNotSignalled() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null);
    pipeline.changed(change("a: [unclosed\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("invalid") == 1);
    assertThat(triggers).hasValue(0);
    assertThat(pipeline.invalidConfig()).get().asString().contains("application.yml");
    assertThat(registry.value("reloader_validation_failures_total")).isEqualTo(1);
  }

  @Test
  void aRejectionIsReportedWithTheAppsReason() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null);
    rejectWith = "app.greeting must not be blank";
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("rejected") == 1);
    assertThat(outcomes.get(0).message()).isEqualTo("app.greeting must not be blank");
  }

  @Test
  void changesDuringAnUnconfirmedReloadCoalesceIntoOneFollowUpAndTheLatestWins() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null);
    ackDelayMillis = 300;
    long t0 = System.nanoTime();
    for (int i = 1; i <= 50; i++) {
      pipeline.changed(change("a: " + i + "\n"));
      Thread.sleep(10);
    }
    long changingMillis = (System.nanoTime() - t0) / 1_000_000;
    String last = dirContent.get().hash();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                last.equals(
                    StatusFile.read(statusFile)
                        .orElseThrow()
                        .sources()
                        .get(dir.toAbsolutePath().toString())));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") >= 1);
    // one reload per answer the app takes ackDelayMillis to give, plus the follow-up: never one
    // per change (50); the bound follows how long the changes took on a loaded machine
    assertThat(triggers.get()).isBetween(1, 2 + (int) (changingMillis / ackDelayMillis));
  }

  @Test
  void aMissingAppIsRetriedUntilItIsThere() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null);
    failWith = new TriggerException(TriggerException.Reason.NO_TARGET, "no process matches");
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("signal_failed") == 1);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> registry.value("reloader_signal_errors_total", "reason", "no_target") >= 2);
    failWith = null;
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 1);
    assertThat(pipeline.lastFailure()).isEmpty();
  }

  @Test
  void anAppThatNeverAnswersIsRetriedAndReported() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null);
    ackDelayMillis = 60_000;
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("signal_failed") >= 1);
    assertThat(pipeline.lastFailure()).get().asString().contains("did not acknowledge");
    assertThat(Files.exists(statusFile)).isTrue();
  }

  @Test
  void anErrorInAReloadDoesNotEndThePipelineAndTheNextValidEditIsApplied() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null); // the app, started on older content
    errorOnce = new StackOverflowError(); // what a recursive YAML anchor used to throw
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(10)).until(() -> errorOnce == null);
    pipeline.changed(change("a: 2\n"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                StatusFile.read(statusFile)
                    .map(s -> s.sources().get(dir.toString()))
                    .filter(dirContent.get().hash()::equals)
                    .isPresent());
    assertThat(count("applied")).isGreaterThanOrEqualTo(1);
    assertThat(pipeline.heartbeat().problem()).isNull();
  }

  @Test
  void aParseErrorInASecretDirNamesTheFileAndLineButNeverTheText() throws Exception {
    Path secrets = tmp.resolve("secrets");
    DirSnapshot snapshot =
        new DirSnapshot(
            secrets,
            true,
            List.of(
                new ConfigFile(
                    "db.json",
                    "{\n\"password\": s3cretvalue\n}".getBytes(StandardCharsets.UTF_8))));
    pipeline.changed(new SourceChange("vault", snapshot, Instant.now(), ""));
    await().atMost(Duration.ofSeconds(10)).until(() -> pipeline.invalidConfig().isPresent());
    assertThat(pipeline.invalidConfig().get())
        .contains("db.json")
        .contains("line 2")
        .contains("details withheld")
        .doesNotContain("s3cret");
    // the same text outside the secret dirs is quoted, as the parser says it
    pipeline.changed(
        new SourceChange(
            "vault",
            new DirSnapshot(
                secrets,
                true,
                List.of(new ConfigFile("db.json", "{}".getBytes(StandardCharsets.UTF_8)))),
            Instant.now(),
            ""));
    pipeline.changed(
        new SourceChange(
            "volume", new DirSnapshot(dir, true, snapshot.files()), Instant.now(), ""));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> pipeline.invalidConfig().map(m -> m.contains("s3cret")).orElse(false));
  }

  @Test
  void aChangeIsTriggeredOnTheThreadThatSawItWhenNoReloadIsUnderWay() throws Exception {
    pipeline.close();
    // Its thread not started yet, so no idle tick can be under way when the change comes.
    pipeline = newPipeline(false);
    pipeline.sourcesStarted();
    writeStatus(change("a: 0\n").snapshot(), null);
    pipeline.changed(change("a: 1\n")); // no hand-off to another thread on the signal's path
    assertThat(triggeredOn).containsExactly(Thread.currentThread());
    pipeline.start(); // it confirms the reload triggered
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 1);
  }

  @Test
  void aChangeSeenWhileTheSourcesStartIsTriggeredOnThePipelinesThreadSoStartUpNeverWaits()
      throws Exception {
    pipeline.close();
    pipeline = newPipeline(); // its sources have not started yet
    writeStatus(change("a: 0\n").snapshot(), null);
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 1);
    assertThat(triggeredOn).hasSize(1).noneMatch(thread -> thread == Thread.currentThread());
    assertThat(triggeredOn.get(0).getName()).isEqualTo("reload-pipeline");
  }

  @Test
  void theHeapIsGivenBackOnAThreadOfItsOwnAndAReloadNeverWaitsForIt() throws Exception {
    writeStatus(change("a: 0\n").snapshot(), null);
    CountDownLatch collecting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> collectedOn = new CopyOnWriteArrayList<>();
    collect =
        () -> {
          collectedOn.add(Thread.currentThread());
          collecting.countDown();
          try {
            release.await(); // a full collection that does not end until the test says so
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    pipeline.changed(change("a: 1\n"));
    await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 1);
    assertThat(collecting.await(30, TimeUnit.SECONDS)).isTrue(); // the next quiet tick
    try {
      pipeline.changed(change("a: 2\n"));
      await().atMost(Duration.ofSeconds(30)).until(() -> count("applied") == 2);
      assertThat(collectedOn).hasSize(1).noneMatch(triggeredOn::contains);
      assertThat(collectedOn.get(0).getName()).isEqualTo("heap-give-back");
    } finally {
      release.countDown();
    }
  }
}
