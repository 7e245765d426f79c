package io.podreload.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podreload.common.StatusHttpServer.Answer;
import io.podreload.common.StatusHttpServer.Limits;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StatusHttpServerTest {

  private final List<Socket> sockets = new ArrayList<>();
  private StatusHttpServer server;
  // Generous: a loaded machine may take seconds to answer. The tests that time /health bound it
  // themselves (assertTimeoutPreemptively).
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @AfterEach
  void close() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private StatusHttpServer start(Map<String, Supplier<Answer>> routes) throws Exception {
    server = StatusHttpServer.start(0, "TEST_PORT", routes);
    return server;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return get("GET", path);
  }

  private HttpResponse<String> get(String method, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Socket connect() throws Exception {
    Socket s = new Socket();
    // Setting up the attack may be slow on a loaded machine; only /health's answer is timed.
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
    sockets.add(s);
    return s;
  }

  @Test
  void servesTheAgreedHealthShapeOnItsThreePaths() throws Exception {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("problem", "vault: failing for 130 s");
    start(
        StatusHttpServer.healthRoutes(
            () -> new Health(false, details), Health::healthy, () -> Health.down("starting")));

    HttpResponse<String> health = get("/health");
    assertEquals(503, health.statusCode());
    assertEquals("application/json", health.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(
        Map.of("status", "DOWN", "problem", "vault: failing for 130 s"),
        JsonTree.parse(health.body().getBytes(StandardCharsets.UTF_8)));
    HttpResponse<String> liveness = get("/health/liveness");
    assertEquals(200, liveness.statusCode());
    assertEquals("{\"status\":\"UP\"}", liveness.body().strip());
    assertEquals(503, get("/health/readiness").statusCode());
    assertEquals(200, get("/health/liveness?probe=1").statusCode(), "a query is not the path");
  }

  @Test
  void headAnswersWithoutBodyUnknownPathsAre404OtherMethods405() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())));
    HttpResponse<String> head = get("HEAD", "/health");
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals(404, get("/healthz").statusCode());
    assertEquals(405, get("DELETE", "/health").statusCode());
  }

  @Test
  void aFailingRouteAnswers500WithoutTheExceptionsText() throws Exception {
    start(
        Map.of(
            "/health",
            () -> {
              throw new IllegalStateException("Unrecognized token 's3cretvalue'");
            },
            "/prometheus",
            () -> {
              throw new OutOfMemoryError("s3cretvalue");
            }));
    HttpResponse<String> failed = get("/health");
    assertEquals(500, failed.statusCode());
    assertFalse(failed.body().contains("s3cret"), failed.body());
    HttpResponse<String> error = get("/prometheus");
    assertEquals(500, error.statusCode());
    assertFalse(error.body().contains("s3cret"), error.body());
    assertEquals(500, get("/health").statusCode(), "the server survives an Error in a route");
  }

  @Test
  void idleAndHalfSentConnectionsDoNotStopHealthAnswering() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())));
    for (int i = 0; i < 8; i++) {
      connect(); // connected, nothing sent
      OutputStream out = connect().getOutputStream();
      out.write("GET /hea".getBytes(StandardCharsets.US_ASCII)); // and then nothing
      out.flush();
    }
    assertTimeoutPreemptively(
        Duration.ofSeconds(1), () -> assertEquals(200, get("/health").statusCode()));
  }

  @Test
  void moreIdleConnectionsThanItKeepsOpenDoNotStopHealthAnswering() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())));
    for (int i = 0; i < Limits.DEFAULT.maxConnections() + 16; i++) {
      connect().getOutputStream().write('G');
    }
    assertTimeoutPreemptively(
        Duration.ofSeconds(1), () -> assertEquals(200, get("/health").statusCode()));
  }

  @Test
  void aConnectionThatDoesNotFinishItsRequestIsClosedAfterTheRequestTimeout() throws Exception {
    server =
        StatusHttpServer.start(
            0,
            "TEST_PORT",
            Map.of("/health", () -> Answer.health(Health.healthy())),
            new Limits(1, 8, Duration.ofMillis(200), Duration.ofMillis(200)));
    Socket slow = connect();
    slow.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes());
    slow.setSoTimeout(3000);
    long start = System.nanoTime();
    InputStream in = slow.getInputStream();
    assertEquals(-1, in.read(), "closed without an answer");
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 2000, "closed after " + millis + " ms");
  }

  @Test
  void aSlowRouteDoesNotHoldTheOthers() throws Exception {
    start(
        Map.of(
            "/slow",
            () -> {
              try {
                Thread.sleep(3000);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return Answer.health(Health.healthy());
            },
            "/health",
            () -> Answer.health(Health.healthy())));
    Socket slow = connect();
    slow.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
    assertTimeoutPreemptively(
        Duration.ofSeconds(1), () -> assertEquals(200, get("/health").statusCode()));
  }

  @Test
  void itsThreadKeepsTheProgramAliveAfterMainReturns() throws Exception {
    start(Map.of());
    Thread serving =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("status-http"))
            .findFirst()
            .orElseThrow();
    assertFalse(serving.isDaemon(), "a daemon thread would let a sidecar's JVM exit");
  }

  @Test
  void aTakenPortNamesTheVariableToChange() throws Exception {
    start(Map.of());
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.io.IOException.class,
            () -> StatusHttpServer.start(server.port(), "TEST_PORT", Map.of()));
    assertTrue(e.getMessage().contains("set TEST_PORT to a free port"), e.getMessage());
  }

  /** Sends {@code request} as raw bytes, a few at a time, and reads the whole answer. */
  private String raw(String request, int chunk) throws Exception {
    Socket s = connect();
    s.setSoTimeout(5000);
    OutputStream out = s.getOutputStream();
    byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
    for (int at = 0; at < bytes.length; at += chunk) {
      out.write(bytes, at, Math.min(chunk, bytes.length - at));
      out.flush();
      Thread.sleep(2); // separate reads on the server's side
    }
    return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void anAnswerLargerThanTheSocketsBuffersArrivesWhole() throws Exception {
    String body = "x".repeat(8 * 1024 * 1024);
    start(Map.of("/prometheus", () -> new Answer(200, "text/plain", body)));
    Socket s = connect();
    s.setSoTimeout(10_000);
    s.getOutputStream().write("GET /prometheus HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
    InputStream in = s.getInputStream();
    Thread.sleep(200); // the client reads late: the server's first write cannot take it all
    String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer.substring(0, 40));
    assertTrue(answer.contains("Content-Length: " + body.length() + "\r\n"));
    assertEquals(body.length(), answer.length() - answer.indexOf("\r\n\r\n") - 4);
  }

  @Test
  void aRequestSentAByteAtATimeOrWithBareNewlinesIsAnswered() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())));
    String crlf = raw("GET /health?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n", 1);
    assertTrue(crlf.startsWith("HTTP/1.1 200 OK\r\n"), crlf);
    assertTrue(crlf.endsWith("\r\n\r\n{\"status\":\"UP\"}\n"), crlf);
    String lf = raw("GET /health HTTP/1.0\n\n", 3);
    assertTrue(lf.startsWith("HTTP/1.1 200 OK\r\n"), lf);
  }

  @Test
  void eachStatusCarriesItsReasonPhrase() throws Exception {
    start(
        Map.of(
            "/health", () -> Answer.health(false, Map.of()),
            "/boom",
                () -> {
                  throw new IllegalStateException("boom");
                }));
    assertTrue(
        raw("GET /health HTTP/1.1\r\n\r\n", 64).startsWith("HTTP/1.1 503 Service Unavailable\r\n"));
    assertTrue(
        raw("GET /boom HTTP/1.1\r\n\r\n", 64).startsWith("HTTP/1.1 500 Internal Server Error\r\n"));
    assertTrue(raw("GET /nope HTTP/1.1\r\n\r\n", 64).startsWith("HTTP/1.1 404 Not Found\r\n"));
    assertTrue(
        raw("POST /health HTTP/1.1\r\n\r\n", 64).startsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
    assertTrue(raw("GARBAGE\r\n\r\n", 64).startsWith("HTTP/1.1 400 Bad Request\r\n"));
    assertTrue(raw("GET /health FTP/1.0\r\n\r\n", 64).startsWith("HTTP/1.1 400 Bad Request\r\n"));
  }

  @Test
  void aHeadThatNeverEndsIsRefusedWith431() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())));
    Socket s = connect();
    s.setSoTimeout(5000);
    OutputStream out = s.getOutputStream();
    out.write("GET /health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
    String answer;
    try {
      for (int i = 0; i < 1024; i++) {
        out.write(("X-Filler-" + i + ": " + "y".repeat(100) + "\r\n").getBytes());
      }
    } catch (java.io.IOException closedWhileSending) {
      // the server answered and closed before the client finished: the answer is still there
    }
    answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertTrue(answer.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer);
  }

  /** The server closed {@code s}: an end of stream, or a reset when it left bytes unread. */
  private static void assertClosed(Socket s, String why) throws Exception {
    try {
      assertEquals(-1, s.getInputStream().read(), why);
    } catch (java.net.SocketException reset) {
      assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
    }
  }

  private StatusHttpServer start(Map<String, Supplier<Answer>> routes, Limits limits)
      throws Exception {
    server = StatusHttpServer.start(0, "TEST_PORT", routes, limits);
    return server;
  }

  /** A connection that has sent {@code text} and will wait up to 10 s for what comes back. */
  private Socket sent(String text) throws Exception {
    Socket s = connect();
    s.setSoTimeout(10_000);
    s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  private static String answer(Socket s) throws Exception {
    return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  /** Each of {@code open}, whose head lacks only its last line end, is answered once it is sent. */
  private static void assertAnsweredOnceTheHeadEnds(List<Socket> open, String why)
      throws Exception {
    for (Socket s : open) {
      s.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(answer(s).startsWith("HTTP/1.1 200 OK\r\n"), why);
    }
  }

  /** A route that blocks until released, counting the calls that reached it. */
  private static final class HeldRoute implements Supplier<Answer> {
    final java.util.concurrent.Semaphore entered = new java.util.concurrent.Semaphore(0);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch interrupted =
        new java.util.concurrent.CountDownLatch(1);

    @Override
    public Answer get() {
      entered.release();
      try {
        release.await();
      } catch (InterruptedException e) {
        interrupted.countDown();
        Thread.currentThread().interrupt();
      }
      return Answer.health(Health.healthy());
    }
  }

  private static final Duration LONG = Duration.ofSeconds(30);

  @Test
  void whenTheLimitIsReachedTheOldestConnectionStillSendingIsClosed() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())), new Limits(1, 3, LONG, LONG));
    Socket first = sent("GET /health HTTP/1.1\r\n");
    Socket second = sent("GET /health HTTP/1.1\r\n");
    Socket third = sent("GET /health HTTP/1.1\r\n");
    // the three are open; a fourth takes the oldest's place
    Socket fourth = sent("GET /health HTTP/1.1\r\n\r\n");
    assertTrue(answer(fourth).startsWith("HTTP/1.1 200 OK\r\n"));
    assertClosed(first, "the oldest is closed");
    assertAnsweredOnceTheHeadEnds(List.of(second, third), "the others are answered");
  }

  @Test
  void connectionsThatCameAndWentDoNotCountAgainstTheLimit() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())), new Limits(1, 2, LONG, LONG));
    for (int i = 0; i < 6; i++) {
      assertTrue(answer(sent("GET /health HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 200 OK"));
    }
    Socket first = sent("GET /health HTTP/1.1\r\n");
    Socket second = sent("GET /health HTTP/1.1\r\n");
    assertAnsweredOnceTheHeadEnds(List.of(first, second), "two open is within the limit");
  }

  @Test
  void aPeerThatHangsUpBeforeItsHeadEndsIsClosedAtOnceNotAtTheTimeout() throws Exception {
    start(Map.of("/health", () -> Answer.health(Health.healthy())), new Limits(1, 8, LONG, LONG));
    Socket s = sent("GET /hea");
    s.shutdownOutput();
    // the request timeout is 30 s; the read below waits 10 s at most
    assertClosed(s, "the server closed its side");
  }

  @Test
  void whileEveryOpenConnectionIsBeingAnsweredANewOneIsClosedToTryAgain() throws Exception {
    HeldRoute held = new HeldRoute();
    start(Map.of("/slow", held), new Limits(2, 2, LONG, LONG));
    Socket first = sent("GET /slow HTTP/1.1\r\n\r\n");
    Socket second = sent("GET /slow HTTP/1.1\r\n\r\n");
    held.entered.acquire(2);
    Socket third = sent("GET /slow HTTP/1.1\r\n\r\n");
    assertClosed(third, "no room: closed, not queued forever");
    held.release.countDown();
    assertTrue(answer(first).startsWith("HTTP/1.1 200 OK\r\n"));
    assertTrue(answer(second).startsWith("HTTP/1.1 200 OK\r\n"));
  }

  @Test
  void whenTheWorkersAreStuckPastTheResponseTimeoutANewRequestGets503() throws Exception {
    HeldRoute held = new HeldRoute();
    start(
        Map.of("/slow", held, "/health", () -> Answer.health(Health.healthy())),
        new Limits(1, 1, LONG, Duration.ofMillis(200)));
    Socket running = sent("GET /slow HTTP/1.1\r\n\r\n");
    held.entered.acquire();
    assertClosed(running, "not answered in time: closed");
    Socket queued = sent("GET /slow HTTP/1.1\r\n\r\n");
    assertClosed(queued, "queued past the timeout: closed");
    String busy = answer(sent("GET /health HTTP/1.1\r\n\r\n"));
    assertTrue(busy.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), busy);
    assertTrue(busy.endsWith("busy, try again\n"), busy);
    held.release.countDown();
  }

  @Test
  void closeStopsListeningEndsOpenConnectionsAndInterruptsRoutesBeforeItReturns() throws Exception {
    HeldRoute held = new HeldRoute();
    start(Map.of("/slow", held), new Limits(1, 8, LONG, LONG));
    Socket idle = sent("GET /sl");
    Socket waiting = sent("GET /slow HTTP/1.1\r\n\r\n");
    held.entered.acquire();
    int port = server.port();
    server.close();
    server = null;
    assertClosed(idle, "an open connection is closed");
    assertTrue(held.interrupted.await(10, java.util.concurrent.TimeUnit.SECONDS));
    assertClosed(waiting, "its answer never comes");
    org.junit.jupiter.api.Assertions.assertThrows(
        java.net.ConnectException.class,
        () -> new Socket("127.0.0.1", port).close(),
        "nothing listens on the port any more");
  }
}
