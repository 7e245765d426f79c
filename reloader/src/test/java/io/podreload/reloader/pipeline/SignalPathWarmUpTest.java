package io.podreload.reloader.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.common.KubeletVolume;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up of the signal's path: it reads the watched dirs and the status file, every round,
 * while no change comes, within its byte budget, and it yields.
 */
class SignalPathWarmUpTest {

  @TempDir Path tmp;

  @Test
  void everyRoundRunsWhileNoChangeComes() throws Exception {
    Path dir = tmp.resolve("config");
    KubeletVolume.write(dir, Map.of("application.yml", bytes("app:\n  a: 1\n")), null);
    Files.writeString(tmp.resolve("status.json"), "{not json");
    assertThat(new SignalPathWarmUp(List.of(dir), tmp.resolve("status.json")).run())
        .isEqualTo(SignalPathWarmUp.ROUNDS);
  }

  @Test
  void missingDirsAndStatusFileAndInvalidConfigDoNotEndIt() throws Exception {
    Path bad = tmp.resolve("bad");
    KubeletVolume.write(bad, Map.of("application.yml", bytes("a: &x {b: *x}\n")), null);
    assertThat(
            new SignalPathWarmUp(List.of(tmp.resolve("none"), bad), tmp.resolve("none.json")).run())
        .isEqualTo(SignalPathWarmUp.ROUNDS);
  }

  /** It reads the real dirs: a large config uses up the byte budget in a few rounds. */
  @Test
  void aLargeConfigCostsFewRounds() throws Exception {
    Path dir = tmp.resolve("large");
    byte[] yaml = yaml(1_000_000);
    KubeletVolume.write(dir, Map.of("application.yml", yaml), null);
    int rounds = new SignalPathWarmUp(List.of(dir), tmp.resolve("status.json")).run();
    assertThat(rounds)
        .isEqualTo((int) Math.ceil(SignalPathWarmUp.MAX_BYTES / (double) yaml.length));
  }

  @Test
  void aChangeStopsIt() {
    SignalPathWarmUp warmUp = new SignalPathWarmUp(List.of(), tmp.resolve("status.json"));
    warmUp.changed();
    assertThat(warmUp.run()).isZero();
  }

  /** At least {@code size} bytes of YAML in many small keys, as a large real config has. */
  static byte[] yaml(int size) {
    StringBuilder yaml = new StringBuilder("big:\n");
    for (int k = 0; yaml.length() < size; k++) {
      yaml.append("  key").append(k).append(": \"value ").append(k).append("\"\n");
    }
    return bytes(yaml.toString());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
