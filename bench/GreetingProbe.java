import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * Polls the app's {@code GET /} on one kept-alive HTTP/1.1 connection over a plain socket. A
 * general-purpose client (java.net.http) costs a millisecond or more per request on a busy 2-core
 * machine, which would be measured as part of the app's reload latency; this costs one write and
 * one read. It understands only what the app answers: a Content-Length body, no chunking.
 */
final class GreetingProbe implements AutoCloseable {
  private final InetSocketAddress address;
  private final byte[] request;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  GreetingProbe(int port) {
    this.address = new InetSocketAddress("127.0.0.1", port);
    this.request =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  }

  /** Polls until {@code expected} is served or {@code timeoutNanos} passed; false on timeout. */
  boolean awaitBody(String expected, long timeoutNanos) throws InterruptedException {
    return awaitBody(expected, timeoutNanos, 0);
  }

  /**
   * The same, pausing {@code pauseNanos} between two polls (0: none). Polling back to back keeps a
   * core busy with the probe and the app's request path, which on a 2-core machine takes it from
   * whatever is measured; a pause adds at most itself (and the timer's slack) to a figure.
   */
  boolean awaitBody(String expected, long timeoutNanos, long pauseNanos)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (System.nanoTime() < deadline) {
      try {
        if (expected.equals(get())) {
          return true;
        }
        if (pauseNanos > 0) {
          LockSupport.parkNanos(pauseNanos);
        }
      } catch (IOException e) {
        close(); // not up yet, or the connection was closed: connect again
        Thread.sleep(20);
      }
    }
    return false;
  }

  /** One GET /, on the kept-alive connection (opened on first use). */
  String get() throws IOException {
    if (socket == null) {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(address, 1000);
      socket.setSoTimeout(10_000);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }
    out.write(request);
    out.flush();
    int length = -1;
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).equalsIgnoreCase("content-length")) {
        length = Integer.parseInt(line.substring(colon + 1).trim());
      }
    }
    if (length < 0) {
      throw new IOException("no Content-Length in the answer");
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing a loopback socket we are done with
      }
      socket = null;
    }
  }
}
