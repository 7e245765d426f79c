package io.podreload.reloader.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The coordination objects' keys as kubectl shows them, read back as written. */
class CoordinationFormatTest {

  @Test
  void aStateReadsBackAsWrittenAndEveryKeyIsPresentSoAMergePatchAlsoClearsOldValues() {
    RolloutState state =
        RolloutState.start(
                "7",
                "v2",
                "v1",
                "app-1",
                Instant.parse("2026-12-01T12:00:00Z"),
                Duration.ofSeconds(15),
                12)
            .withWave(Rank.of("v2", "app-3"), 2);
    Map<String, String> data = state.toData();
    assertThat(data)
        .containsKeys("version", "phase", "promoted", "canary", "wave", "threshold", "attempt")
        .containsKeys("holder", "renewTime", "leaseSeconds", "reason")
        .containsEntry("phase", "promoting")
        .containsEntry("reason", null);
    Map<String, String> stored = new HashMap<>();
    data.forEach(
        (k, v) -> {
          if (v != null) {
            stored.put(k, v);
          }
        });
    RolloutState read = RolloutState.fromData("8", stored, Map.of());
    assertThat(read).isEqualTo(withVersion(state, "8"));
    assertThat(read.allowed("app-3")).contains("v2");
    assertThat(read.allowed("app-1")).contains("v2"); // the canary
  }

  @Test
  void malformedValuesCountAsAbsentAndThePauseAnnotationIsRead() {
    RolloutState read =
        RolloutState.fromData(
            "3",
            Map.of("version", "v1", "phase", "sideways", "wave", "x", "renewTime", "yesterday"),
            Map.of("podreload.io/rollout", "Paused"));
    assertThat(read.phase()).isNull();
    assertThat(read.started()).isFalse();
    assertThat(read.wave()).isZero();
    assertThat(read.renewTime()).isNull();
    assertThat(read.paused()).isTrue();
    assertThat(read.allowed("app-0")).isEmpty();
  }

  @Test
  void aPodRecordIsOneLineAndItsErrorMayHoldSpaces() {
    PodRecord record =
        new PodRecord(
            "v1",
            "v2",
            "rejected",
            Instant.parse("2026-12-01T12:00:00Z"),
            "app.limit: must be\npositive");
    String value = record.toValue();
    assertThat(value)
        .isEqualTo(
            "serving=v1 attempted=v2 result=rejected at=2026-12-01T12:00:00Z"
                + " error=app.limit: must be positive");
    assertThat(PodRecord.parse(value))
        .contains(
            new PodRecord(
                "v1",
                "v2",
                "rejected",
                Instant.parse("2026-12-01T12:00:00Z"),
                "app.limit: must be positive"));
    assertThat(PodRecord.parse(value).orElseThrow().failed("v2")).isTrue();
    assertThat(PodRecord.parse(value).orElseThrow().acked("v1")).isFalse();
    assertThat(PodRecord.parse("garbage")).isEmpty();
    assertThat(PodRecord.parse("serving=v1 at=soon result=applied")).isEmpty();
    assertThat(PodRecord.podOf("pod.app-7")).contains("app-7");
    assertThat(PodRecord.podOf("version")).isEmpty();
  }

  @Test
  void ranksSpreadClaimsOverTheWindowAndFormatAsComparableHex() {
    long rank = Rank.of("v1", "app-0");
    assertThat(Rank.parse(Rank.format(rank))).isEqualTo(rank);
    assertThat(Rank.format(rank)).hasSize(16);
    assertThat(Rank.of("v1", "app-0")).isEqualTo(rank).isNotEqualTo(Rank.of("v2", "app-0"));
    assertThat(Rank.delay(0, Duration.ofSeconds(1))).isZero();
    assertThat(Rank.delay(-1L, Duration.ofSeconds(1)))
        .isBetween(Duration.ofMillis(999), Duration.ofSeconds(1));
    assertThat(Rank.within(5, 5)).isTrue();
    assertThat(Rank.within(-1L, 5)).isFalse(); // unsigned: the largest rank
  }

  private static RolloutState withVersion(RolloutState s, String resourceVersion) {
    return new RolloutState(
        resourceVersion,
        s.paused(),
        s.version(),
        s.phase(),
        s.promoted(),
        s.canary(),
        s.threshold(),
        s.wave(),
        s.attempt(),
        s.holder(),
        s.renewTime(),
        s.lease(),
        s.reason(),
        s.pods());
  }
}
