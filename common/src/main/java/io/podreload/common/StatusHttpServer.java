package io.podreload.common;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sidecar's {@code /health} (with {@code /liveness} and {@code /readiness}) and {@code
 * /prometheus}: HTTP/1.1 GET and HEAD, one request per connection, paths matched exactly.
 *
 * <p>Why not the JDK's HttpServer: its worker reads the request head with a blocking read, so a
 * connection that sends {@code GET /hea} and stays open holds a worker until it closes, and with it
 * the probes of every replica. Here one selector thread reads every connection without blocking; a
 * connection only reaches the bounded worker pool once its whole request head is in, and a
 * connection that has not sent its head within the request timeout, or not taken its answer within
 * the response timeout, is closed. At most {@code maxConnections} are open: a new one closes the
 * oldest that is still sending. A failing route answers 500 without the exception's text.
 */
public final class StatusHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusHttpServer.class);
  private static final int MAX_HEAD = 8192;

  /** One answer: status code, content type and body. */
  public record Answer(int status, String contentType, String body) {

    /** The agreed health shape: {@code {"status":"UP"|"DOWN", ...details}}, 200 or 503. */
    public static Answer health(Health health) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("status", health.up() ? "UP" : "DOWN");
      health.details().forEach((k, v) -> body.putIfAbsent(k, v));
      return new Answer(health.up() ? 200 : 503, "application/json", JsonTree.toJson(body) + "\n");
    }

    public static Answer health(boolean up, Map<String, ?> details) {
      return health(new Health(up, details));
    }

    /** The Prometheus text format. */
    public static Answer prometheus(PrometheusRegistry registry) {
      return new Answer(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    }
  }

  /**
   * @param workers threads that compute answers
   * @param maxConnections connections open at once
   * @param requestTimeout from connect to a complete request head
   * @param responseTimeout from a complete request head to the answer sent
   */
  public record Limits(
      int workers, int maxConnections, Duration requestTimeout, Duration responseTimeout) {
    public static final Limits DEFAULT =
        new Limits(2, 64, Duration.ofSeconds(2), Duration.ofSeconds(5));
  }

  /** The three health routes of the agreed contract. */
  public static Map<String, Supplier<Answer>> healthRoutes(
      Supplier<Health> overall, Supplier<Health> liveness, Supplier<Health> readiness) {
    Map<String, Supplier<Answer>> routes = new LinkedHashMap<>();
    routes.put("/health", () -> Answer.health(overall.get()));
    routes.put("/health/liveness", () -> Answer.health(liveness.get()));
    routes.put("/health/readiness", () -> Answer.health(readiness.get()));
    return routes;
  }

  private final ServerSocketChannel listener;
  private final Selector selector;
  private final ThreadPoolExecutor workers;
  private final Map<String, Supplier<Answer>> routes;
  private final Limits limits;
  private final Queue<Connection> answered = new ConcurrentLinkedQueue<>();

  /** Connections still sending their request, oldest first (selector thread only). */
  private final ArrayDeque<Connection> reading = new ArrayDeque<>();

  private final Thread thread;
  private volatile boolean closed;
  private int open;

  private StatusHttpServer(
      ServerSocketChannel listener,
      Selector selector,
      Map<String, Supplier<Answer>> routes,
      Limits limits) {
    this.listener = listener;
    this.selector = selector;
    this.routes = Map.copyOf(routes);
    this.limits = limits;
    this.workers =
        new ThreadPoolExecutor(
            limits.workers(),
            limits.workers(),
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(limits.maxConnections()),
            r -> {
              Thread t = new Thread(r, "status-http-worker");
              t.setDaemon(true);
              return t;
            });
    workers.allowCoreThreadTimeOut(true);
    // Not a daemon: like the JDK server's dispatcher, it keeps a sidecar's JVM alive after main.
    this.thread = new Thread(this::run, "status-http");
  }

  /**
   * Listens on {@code port} (0: any free port) and answers each path in {@code routes}.
   *
   * @param portVariable the variable that sets the port, named in the error when it is taken
   */
  public static StatusHttpServer start(
      int port, String portVariable, Map<String, Supplier<Answer>> routes) throws IOException {
    return start(port, portVariable, routes, Limits.DEFAULT);
  }

  public static StatusHttpServer start(
      int port, String portVariable, Map<String, Supplier<Answer>> routes, Limits limits)
      throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open();
    try {
      listener.bind(new InetSocketAddress(port), 64);
    } catch (BindException e) {
      listener.close();
      throw new IOException(
          "cannot listen on port "
              + port
              + " ("
              + e.getMessage()
              + "): set "
              + portVariable
              + " to a free port",
          e);
    }
    listener.configureBlocking(false);
    Selector selector = Selector.open();
    listener.register(selector, SelectionKey.OP_ACCEPT);
    StatusHttpServer server = new StatusHttpServer(listener, selector, routes, limits);
    server.thread.start();
    return server;
  }

  public int port() {
    return listener.socket().getLocalPort();
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }

  /** One client connection: its request head coming in, then its answer going out. */
  private static final class Connection {
    final SocketChannel channel;
    final SelectionKey key;
    final ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
    ByteBuffer out;
    long deadline;

    Connection(SocketChannel channel, SelectionKey key, long deadline) {
      this.channel = channel;
      this.key = key;
      this.deadline = deadline;
    }
  }

  private void run() {
    try {
      while (!closed) {
        selector.select(nextWakeMillis());
        for (Connection c; (c = answered.poll()) != null; ) {
          if (c.key.isValid()) {
            c.key.interestOps(SelectionKey.OP_WRITE);
          }
        }
        for (SelectionKey key : selector.selectedKeys()) {
          try {
            if (!key.isValid()) {
              continue;
            }
            if (key.isAcceptable()) {
              accept();
            } else if (key.isReadable()) {
              read((Connection) key.attachment());
            } else if (key.isWritable()) {
              write((Connection) key.attachment());
            }
          } catch (IOException | RuntimeException e) {
            if (key.attachment() instanceof Connection c) {
              close(c);
            }
          }
        }
        selector.selectedKeys().clear();
        expire();
      }
    } catch (IOException | RuntimeException | Error e) {
      LOG.error("the status server stopped: {}", e.getClass().getName());
    } finally {
      for (SelectionKey key : selector.keys()) {
        closeQuietly(key);
      }
      closeQuietly(selector);
      closeQuietly(listener);
    }
  }

  private long nextWakeMillis() {
    long now = System.nanoTime();
    long wake = 250;
    for (SelectionKey key : selector.keys()) {
      if (key.attachment() instanceof Connection c) {
        wake = Math.min(wake, Math.max(1, (c.deadline - now) / 1_000_000 + 1));
      }
    }
    return wake;
  }

  private void accept() throws IOException {
    SocketChannel channel;
    while ((channel = listener.accept()) != null) {
      if (open >= limits.maxConnections()) {
        Connection oldest = reading.pollFirst();
        if (oldest == null) {
          channel.close(); // all busy being answered: the client tries again
          continue;
        }
        close(oldest);
      }
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
      Connection c =
          new Connection(channel, key, System.nanoTime() + limits.requestTimeout().toNanos());
      key.attach(c);
      reading.addLast(c);
      open++;
    }
  }

  private void read(Connection c) throws IOException {
    if (c.channel.read(c.in) < 0) {
      close(c);
      return;
    }
    int end = headEnd(c.in);
    if (end < 0) {
      if (!c.in.hasRemaining()) {
        respond(c, new Answer(431, "text/plain", "request head too large\n"), false);
      }
      return;
    }
    reading.remove(c);
    c.key.interestOps(0);
    c.deadline = System.nanoTime() + limits.responseTimeout().toNanos();
    String line = requestLine(c.in, end);
    String[] parts = line.split(" ");
    if (parts.length != 3 || !parts[2].startsWith("HTTP/")) {
      respond(c, new Answer(400, "text/plain", "bad request\n"), false);
      return;
    }
    String method = parts[0];
    boolean head = method.equals("HEAD");
    if (!head && !method.equals("GET")) {
      respond(c, new Answer(405, "text/plain", "only GET and HEAD\n"), false);
      return;
    }
    int query = parts[1].indexOf('?');
    String path = query < 0 ? parts[1] : parts[1].substring(0, query);
    Supplier<Answer> route = routes.get(path);
    if (route == null) {
      respond(c, new Answer(404, "text/plain", "not found\n"), head);
      return;
    }
    try {
      workers.execute(() -> answer(c, path, route, head));
    } catch (RejectedExecutionException e) {
      respond(c, new Answer(503, "text/plain", "busy, try again\n"), head);
    }
  }

  /** On a worker: runs the route, then hands the answer back to the selector. */
  private void answer(Connection c, String path, Supplier<Answer> route, boolean head) {
    Answer answer;
    try {
      answer = route.get();
    } catch (RuntimeException | Error e) {
      // Never the exception's text: it may quote config or a secret.
      LOG.warn("{} failed: {}", path, e.getClass().getName());
      answer = new Answer(500, "text/plain", "internal error\n");
    }
    c.out = encode(answer, head);
    answered.add(c);
    selector.wakeup();
  }

  /** On the selector thread: an answer that needs no route. */
  private void respond(Connection c, Answer answer, boolean head) {
    reading.remove(c);
    c.out = encode(answer, head);
    c.key.interestOps(SelectionKey.OP_WRITE);
  }

  private void write(Connection c) throws IOException {
    c.channel.write(c.out);
    if (!c.out.hasRemaining()) {
      close(c);
    }
  }

  private void expire() {
    long now = System.nanoTime();
    for (SelectionKey key : selector.keys()) {
      if (key.attachment() instanceof Connection c && now - c.deadline > 0) {
        close(c);
      }
    }
  }

  private void close(Connection c) {
    if (c.key.isValid() || c.channel.isOpen()) {
      reading.remove(c);
      c.key.cancel();
      closeQuietly(c.channel);
      c.key.attach(null);
      open--;
    }
  }

  private static ByteBuffer encode(Answer answer, boolean head) {
    byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
    String headers =
        "HTTP/1.1 "
            + answer.status()
            + " "
            + reason(answer.status())
            + "\r\nContent-Type: "
            + answer.contentType()
            + "\r\nContent-Length: "
            + body.length
            + "\r\nConnection: close\r\n\r\n";
    byte[] h = headers.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer out = ByteBuffer.allocate(h.length + (head ? 0 : body.length));
    out.put(h);
    if (!head) {
      out.put(body);
    }
    return out.flip();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** Where the empty line that ends the head is, or -1. */
  private static int headEnd(ByteBuffer in) {
    for (int i = 3; i < in.position(); i++) {
      if (in.get(i) == '\n'
          && (in.get(i - 1) == '\n' || (in.get(i - 1) == '\r' && in.get(i - 2) == '\n'))) {
        return i;
      }
    }
    return -1;
  }

  private static String requestLine(ByteBuffer in, int end) {
    int eol = 0;
    while (eol < end && in.get(eol) != '\n') {
      eol++;
    }
    byte[] line = new byte[eol];
    in.get(0, line);
    return new String(line, StandardCharsets.ISO_8859_1).strip();
  }

  private static void closeQuietly(SelectionKey key) {
    key.cancel();
    closeQuietly(key.channel());
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
