package io.podreload.logger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.common.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A raw batch is out when {@code write} returns, counted once written; a failed write is reported
 * to the caller by the next call, which writes its rest again.
 */
class StdoutOutputTest {

  /**
   * Stdout as a pipe that breaks on cue: like write(2), a write takes what fits before the break
   * and returns its count; the next one fails. {@code failures} writes fail after {@code
   * firstBreakAt} bytes are out, then everything is taken.
   */
  static final class FlakyChannel implements WritableByteChannel {
    final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    int failures;
    long breakAt;

    FlakyChannel(int failures, long firstBreakAt) {
      this.failures = failures;
      this.breakAt = firstBreakAt;
    }

    FlakyChannel(int failures) {
      this(failures, 0);
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
      if (failures > 0 && kept.size() >= breakAt) {
        failures--;
        throw new IOException("broken pipe");
      }
      int n =
          (int) Math.min(src.remaining(), failures > 0 ? breakAt - kept.size() : Long.MAX_VALUE);
      byte[] bytes = new byte[n];
      src.get(bytes);
      kept.write(bytes, 0, n);
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}

    synchronized String text() {
      return kept.toString(UTF_8);
    }
  }

  static Batch lines(String... lines) {
    Batch batch = new Batch();
    long offset = 0;
    for (String line : lines) {
      byte[] bytes = line.getBytes(UTF_8);
      batch.add(Path.of("/var/log/app/access.log"), "1:2", offset, bytes, 0, bytes.length, false);
      offset += bytes.length + 1;
    }
    return batch;
  }

  final Metrics.OutputMetrics metrics = new Metrics(new PrometheusRegistry()).forOutput("stdout");

  @Test
  void aRawBatchIsOutOnceWriteReturns() throws Exception {
    FlakyChannel out = new FlakyChannel(0);
    StdoutOutput stdout = new StdoutOutput(out, LoggerSettings.Format.RAW, metrics);
    Batch batch = lines("GET / 200", "GET /config 200");
    stdout.write(batch, () -> false);
    assertThat(out.text()).isEqualTo("GET / 200\nGET /config 200\n");
    assertThat(metrics.linesWritten.value()).isEqualTo(2.0);
    stdout.close();
  }

  @Test
  void aFailedWriteReachesTheCallerAndIsWrittenAgainByTheNextCall() throws Exception {
    FlakyChannel out = new FlakyChannel(2); // the writer's try and the first retry fail
    StdoutOutput stdout = new StdoutOutput(out, LoggerSettings.Format.RAW, metrics);
    stdout.write(lines("first"), () -> false);
    assertThatThrownBy(stdout::awaitWritten).hasMessageContaining("broken pipe");
    assertThat(metrics.linesWritten.value()).isZero();
    stdout.write(lines("second"), () -> false); // writes "first" again, then hands "second" over
    stdout.awaitWritten();
    assertThat(out.text()).isEqualTo("first\nsecond\n");
    assertThat(metrics.linesWritten.value()).isEqualTo(2.0);
    stdout.close();
  }

  /** The lines before the break are out already: the retry writes only the rest, in any format. */
  @ParameterizedTest
  @EnumSource(LoggerSettings.Format.class)
  void aWriteThatFailsPartWayIsResumedFromTheFirstByteNotWritten(LoggerSettings.Format format)
      throws Exception {
    FlakyChannel out = new FlakyChannel(2, 13); // breaks in the middle of the second line
    StdoutOutput stdout = new StdoutOutput(out, format, metrics);
    Batch batch = lines("GET /a 200", "GET /b 200", "GET /c 200");
    batch.add(Path.of("/var/log/app/access.log"), "1:2", 33, "piece".getBytes(UTF_8), 0, 5, true);
    stdout.write(batch, () -> false);
    // the pipeline reuses its batch at once: the rest of the failed write is not overwritten
    batch.clear();
    byte[] next = "POST /reload 500 and more".getBytes(UTF_8);
    batch.add(Path.of("/var/log/app/access.log"), "1:2", 39, next, 0, next.length, false);
    assertThatThrownBy(stdout::awaitWritten).hasMessageContaining("broken pipe");
    stdout.awaitWritten();
    assertThat(metrics.bytesWritten.value()).isEqualTo(out.text().getBytes(UTF_8).length);
    List<String> written = out.text().lines().toList();
    assertThat(written).hasSize(4);
    assertThat(written.get(0)).contains("GET /a 200");
    assertThat(written.get(1)).contains("GET /b 200");
    assertThat(written.get(3)).contains("piece");
    if (format == LoggerSettings.Format.RAW) {
      assertThat(written.get(3)).isEqualTo("piece" + Output.SPLIT_MARKER);
    }
    assertThat(metrics.linesWritten.value()).isEqualTo(4.0);
    stdout.close();
  }
}
