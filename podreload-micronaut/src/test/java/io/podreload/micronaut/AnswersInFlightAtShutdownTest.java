package io.podreload.micronaut;

import static io.podreload.micronaut.testing.HostProcess.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.podreload.micronaut.fixture.InFlightController;
import io.podreload.micronaut.fixture.ShopApp;
import io.podreload.micronaut.testing.HostProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * From the start of a graceful shutdown (SIGTERM to the real fixture process), a request still
 * being answered is left to finish: its client gets the whole answer, then the connection closes
 * and the app exits. Two kinds of answer under way: a controller still working (held by a gate the
 * test opens only after the shutdown has begun), and a large answer the client has not read yet.
 */
class AnswersInFlightAtShutdownTest {

  /** 128 + SIGTERM: what a host exits with after a graceful shutdown on SIGTERM. */
  private static final int EXIT_ON_SIGTERM = 143;

  /** Far more than the socket buffers of both ends hold: most of it waits in the app. */
  private static final int LARGE = 32 << 20;

  @TempDir Path work;

  @Test
  void requestsStillBeingAnsweredWhenSigtermComesGetTheirWholeAnswerThenTheAppExits()
      throws Exception {
    publish(work.resolve("config"), "application.yml", "shop:\n  banner: open\n  max-items: 5\n");
    Path gate = Files.createDirectories(work.resolve("gate"));
    // The grace period is 15 s; the app stops in well under a second once the answers are out.
    Duration bound = Duration.ofSeconds(10);
    try (HostProcess app = HostProcess.start(ShopApp.class, work);
        Socket gated = connect(app.port);
        Socket large = connect(app.port)) {
      send(gated, "/gated?gate=" + gate);
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(gate.resolve("arrived")));
      send(large, "/large?bytes=" + LARGE);
      String largeHead = head(large.getInputStream()); // the body's first bytes sent, not read

      app.signal("TERM");
      // The shutdown has begun when the business port takes no new connection.
      await().atMost(bound).pollInterval(Duration.ofMillis(10)).until(() -> refuses(app.port));
      Files.createFile(gate.resolve("open"));

      InputStream in = gated.getInputStream();
      String gatedHead = head(in);
      assertThat(gatedHead).startsWith("HTTP/1.1 200 ");
      assertThat(new String(readToEnd(in), StandardCharsets.UTF_8))
          .isEqualTo("answered after the gate opened");

      assertThat(largeHead).startsWith("HTTP/1.1 200 ");
      assertThat(contentLength(largeHead)).isEqualTo(LARGE);
      byte[] body = readToEnd(large.getInputStream());
      assertThat(body.length).as("bytes of the large answer received").isEqualTo(LARGE);
      for (int i = 0; i < LARGE; i++) {
        if (body[i] != InFlightController.largeByte(i)) {
          throw new AssertionError("the large answer differs at byte " + i);
        }
      }

      assertThat(app.awaitExit(bound))
          .as("exit code within %s of SIGTERM; output:%n%s", bound, app.output())
          .hasValue(EXIT_ON_SIGTERM);
      assertThat(Files.readString(app.accessLog))
          .contains(" GET /gated?gate=" + gate + " 200 ")
          .contains(" GET /large?bytes=" + LARGE + " 200 ");
    }
  }

  /**
   * The hold on a close is bounded by the grace period: a client that never reads the rest of a
   * large answer does not keep the app alive past it.
   */
  @Test
  void anAnswerItsClientNeverReadsHoldsTheAppOnlyForTheGracePeriod() throws Exception {
    publish(work.resolve("config"), "application.yml", "shop:\n  banner: open\n  max-items: 5\n");
    Duration grace = Duration.ofSeconds(2);
    try (HostProcess app =
            HostProcess.start(
                ShopApp.class,
                work,
                Map.of(
                    "MICRONAUT_LIFECYCLE_GRACEFUL_SHUTDOWN_GRACE_PERIOD",
                    grace.toSeconds() + "s"));
        Socket stuck = connect(app.port)) {
      send(stuck, "/large?bytes=" + LARGE);
      assertThat(head(stuck.getInputStream())).startsWith("HTTP/1.1 200 "); // the rest unread

      long signalled = System.nanoTime();
      app.signal("TERM");
      Duration bound = grace.plusSeconds(6);
      assertThat(app.awaitExit(bound))
          .as("exit code within %s of SIGTERM; output:%n%s", bound, app.output())
          .hasValue(EXIT_ON_SIGTERM);
      assertThat(Duration.ofNanos(System.nanoTime() - signalled))
          .as("the hold lasts until the grace period is over")
          .isGreaterThanOrEqualTo(grace);
    }
  }

  /** A connection that receives slowly: little room in its receive buffer. */
  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.setSoTimeout(30_000); // a read that hangs fails the test instead of blocking it
    socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
    return socket;
  }

  private static void send(Socket socket, String path) throws IOException {
    socket
        .getOutputStream()
        .write(
            ("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
  }

  /** The status line and headers, read byte by byte up to the empty line; the body stays unread. */
  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("connection closed before the answer's head ended: " + head);
      }
      head.write(b);
      String text = head.toString(StandardCharsets.US_ASCII);
      if (text.endsWith("\r\n\r\n")) {
        return text;
      }
    }
  }

  private static long contentLength(String head) {
    return head.lines()
        .filter(line -> line.toLowerCase(Locale.ROOT).startsWith("content-length:"))
        .map(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Content-Length in " + head));
  }

  /** Everything up to the end of the stream: the app closes the connection after the answer. */
  private static byte[] readToEnd(InputStream in) throws IOException {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError("the connection broke instead of closing after the answer", e);
    }
  }

  private static boolean refuses(int port) {
    try (Socket probe = new Socket()) {
      probe.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
