package io.podreload.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.podreload.micronaut.testing.HostProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM stops the real app process promptly, whatever its clients do: within the pod's stop
 * timeout, with its normal exit code and its access log complete.
 */
class ShutdownTest {

  /** 128 + SIGTERM: what the app exits with after a graceful shutdown on SIGTERM. */
  private static final int EXIT_ON_SIGTERM = 143;

  @TempDir Path work;

  @Test
  void aClientStalledInTheMiddleOfABodyDoesNotHoldTheAppPastItsStopTimeout() throws Exception {
    Files.createDirectories(work.resolve("config"));
    Files.writeString(work.resolve("config/application.yml"), "app:\n  greeting: hi\n");
    int requests = 20;
    // Graceful shutdown waits up to 15 s (application.yml); the app needs well under a second
    // to stop. 10 s is generous for the one and fails for the other.
    Duration bound = Duration.ofSeconds(10);
    try (HostProcess app = HostProcess.start(Application.class, work, Map.of());
        Socket stalled = new Socket("127.0.0.1", app.port)) {
      for (int i = 0; i < requests; i++) {
        assertThat(app.send("/?n=" + i).statusCode()).isEqualTo(200);
      }
      // A request answered at once (no POST route: 405) whose body never comes to its end.
      OutputStream out = stalled.getOutputStream();
      out.write(
          "POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 1000\r\n\r\nthe first bytes of"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(stalled.getInputStream(), StandardCharsets.US_ASCII));
      assertThat(in.readLine()).startsWith("HTTP/1.1 405");
      // A reload of a large config under way as SIGTERM comes.
      StringBuilder big = new StringBuilder("app:\n  greeting: big\nbench:\n");
      for (int k = 0; k < 10_000; k++) {
        big.append("  key").append(k).append(": value-").append(k).append('\n');
      }
      HostProcess.publish(app.config, "application.yml", big.toString());
      app.signal("HUP");

      app.signal("TERM");

      assertThat(app.awaitExit(bound))
          .as("exit code within %s of SIGTERM; output:%n%s", bound, app.output())
          .hasValue(EXIT_ON_SIGTERM);
      assertThat(Files.readAllLines(app.accessLog))
          .filteredOn(line -> line.contains(" GET /?n="))
          .hasSize(requests);
    }
  }
}
