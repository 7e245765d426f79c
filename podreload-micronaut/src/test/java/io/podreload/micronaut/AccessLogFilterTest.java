package io.podreload.micronaut;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The access log's duration field: milliseconds with three decimals, as String.format gave. */
class AccessLogFilterTest {

  @Test
  void millisHaveThreeDecimalsPaddedWithZeros() {
    assertThat(AccessLogFilter.millis(0)).isEqualTo("0.000");
    assertThat(AccessLogFilter.millis(5_000)).isEqualTo("0.005");
    assertThat(AccessLogFilter.millis(45_999)).isEqualTo("0.045");
    assertThat(AccessLogFilter.millis(1_234_567)).isEqualTo("1.234");
    assertThat(AccessLogFilter.millis(16_152_000)).isEqualTo("16.152");
    assertThat(AccessLogFilter.millis(12_345_678_901L)).isEqualTo("12345.678");
  }

  @Test
  void aClockThatWentBackwardsGivesZero() {
    assertThat(AccessLogFilter.millis(-1_000_000)).isEqualTo("0.000");
  }
}
