package io.podreload.logger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.podreload.common.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The raw batch handed to the writer thread: out when {@code awaitWritten} returns, counted once
 * written, and a failed write reported to the caller and written again by the next call.
 */
class StdoutOutputTest {

  /** Fails the first {@code failures} writes, then keeps what is written. */
  static final class FlakyStream extends OutputStream {
    final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    int failures;

    FlakyStream(int failures) {
      this.failures = failures;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      if (failures > 0) {
        failures--;
        throw new IOException("broken pipe");
      }
      kept.write(b, off, len);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

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
  void aRawBatchIsOutOnceAwaitWrittenReturns() throws Exception {
    FlakyStream out = new FlakyStream(0);
    StdoutOutput stdout = new StdoutOutput(out, LoggerSettings.Format.RAW, metrics);
    Batch batch = lines("GET / 200", "GET /config 200");
    stdout.write(batch, () -> false);
    // the pipeline reuses its batch at once: what is in flight is not overwritten
    batch.clear();
    byte[] next = "POST /reload 500 and more".getBytes(UTF_8);
    batch.add(Path.of("/var/log/app/access.log"), "1:2", 26, next, 0, next.length, false);
    stdout.awaitWritten();
    assertThat(out.text()).isEqualTo("GET / 200\nGET /config 200\n");
    assertThat(metrics.linesWritten.value()).isEqualTo(2.0);
    stdout.close();
  }

  @Test
  void aFailedWriteReachesTheCallerAndIsWrittenAgainByTheNextCall() throws Exception {
    FlakyStream out = new FlakyStream(2); // the writer's try and the first retry fail
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
}
