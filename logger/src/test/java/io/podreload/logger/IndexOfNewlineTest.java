package io.podreload.logger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The eight-bytes-a-step newline scan agrees with a byte-by-byte one everywhere. */
class IndexOfNewlineTest {

  static int naive(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  @Test
  void aNewlineIsFoundAtEveryPositionOfAWordAndOfTheTail() {
    for (int length = 0; length <= 40; length++) {
      for (int at = 0; at < length; at++) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) 'x');
        b[at] = '\n';
        for (int from = 0; from <= length; from++) {
          assertThat(FileFollower.indexOfNewline(b, from, length))
              .as("length %d, newline at %d, from %d", length, at, from)
              .isEqualTo(at >= from ? at : -1);
        }
      }
    }
  }

  @Test
  void bytesThatDifferFromANewlineByOneBitOrByABorrowAreNotNewlines() {
    // 0x0B, 0x09, 0x8A and 0x0A - 0x01 patterns around a real newline: the zero-byte test must
    // report the first newline only, not a byte next to it.
    byte[] b = {0x0B, 0x09, (byte) 0x8A, 0x0A, 0x0B, 0x0A, 0x00, 0x7F, 0x0B, 0x09, (byte) 0xFF};
    assertThat(FileFollower.indexOfNewline(b, 0, b.length)).isEqualTo(3);
    assertThat(FileFollower.indexOfNewline(b, 4, b.length)).isEqualTo(5);
    assertThat(FileFollower.indexOfNewline(b, 6, b.length)).isEqualTo(-1);
    assertThat(FileFollower.indexOfNewline(b, 0, 3)).isEqualTo(-1);
  }

  @Test
  void randomBytesAgreeWithAByteByByteScan() {
    Random random = new Random(42);
    for (int round = 0; round < 2000; round++) {
      byte[] b = new byte[random.nextInt(100)];
      random.nextBytes(b);
      for (int i = 0; i < b.length; i++) {
        if (random.nextInt(20) == 0) {
          b[i] = '\n';
        }
      }
      int from = b.length == 0 ? 0 : random.nextInt(b.length);
      int to = from + random.nextInt(b.length - from + 1);
      assertThat(FileFollower.indexOfNewline(b, from, to)).isEqualTo(naive(b, from, to));
    }
  }
}
