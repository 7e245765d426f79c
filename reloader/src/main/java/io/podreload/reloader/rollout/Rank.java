package io.podreload.reloader.rollout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

/**
 * A pod's place in the rollout of one version: rendezvous hashing of (version, pod). Every pod
 * computes every rank alone, so the order of canary candidates and of waves needs no list of pods
 * in the coordination object, and it changes with each version, so no pod is always the canary.
 */
public final class Rank {

  private Rank() {}

  /** The rank as an unsigned 64-bit number (smaller goes first). */
  public static long of(String version, String pod) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest((version + "\n" + pod).getBytes(StandardCharsets.UTF_8));
      long rank = 0;
      for (int i = 0; i < 8; i++) {
        rank = (rank << 8) | (digest[i] & 0xff);
      }
      return rank;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Whether a rank is at or below a threshold (both unsigned). */
  public static boolean within(long rank, long threshold) {
    return Long.compareUnsigned(rank, threshold) <= 0;
  }

  /** The rank's share of a window: rank 0 waits nothing, the largest rank the whole window. */
  public static Duration delay(long rank, Duration window) {
    double fraction = (rank >>> 11) / (double) (1L << 53);
    return Duration.ofNanos((long) (fraction * window.toNanos()));
  }

  /** The wire form: 16 hex digits, so kubectl shows a threshold a reader can compare. */
  public static String format(long rank) {
    return String.format("%016x", rank);
  }

  public static long parse(String hex) {
    return Long.parseUnsignedLong(hex, 16);
  }
}
