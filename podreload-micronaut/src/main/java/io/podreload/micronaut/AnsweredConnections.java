package io.podreload.micronaut;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.netty.channel.ChannelPipelineCustomizer;
import io.micronaut.http.server.netty.NettyServerCustomizer;
import io.micronaut.http.server.netty.NettyServerCustomizer.ChannelRole;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets a graceful shutdown end once every request has its answer. Micronaut's counts a request as
 * in flight until its body has been read to the end, even when the answer was sent before (a 405, a
 * 413, a controller that does not read the body): a client that stops sending in the middle of a
 * body keeps the app from exiting for the whole grace period, past the pod's stop timeout, and the
 * app is killed. Here, from the start of a graceful shutdown, an HTTP/1 connection is closed as
 * soon as each request it brought has been answered in full; a request still being answered is left
 * to finish.
 *
 * <p>"In full" means the answer's last byte has left the process, not just been handed to Netty: a
 * large answer to a client that reads slowly waits in the connection's outbound buffer, and Netty's
 * close drops what is there. Micronaut's own graceful shutdown closes such a connection at once
 * (its handler counts an answer done once written), so a close that comes while an answer is still
 * leaving is held until it has left. The grace period bounds the wait.
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Requires(beans = NettyServerCustomizer.Registry.class)
@Context
public final class AnsweredConnections implements GracefulShutdownCapable, Ordered {

  private static final String HANDLER = "podreload-answered";

  private final Set<Tracker> open = ConcurrentHashMap.newKeySet();
  private volatile boolean shuttingDown;

  public AnsweredConnections(NettyServerCustomizer.Registry registry) {
    registry.register(new Customizer(null));
  }

  /**
   * First of the graceful shutdown's parts: the connections know the shutdown has begun before the
   * server's own part closes any of them.
   */
  @Override
  public int getOrder() {
    return HIGHEST_PRECEDENCE;
  }

  @Override
  public CompletionStage<?> shutdownGracefully() {
    shuttingDown = true;
    open.forEach(Tracker::closeIfAnswered);
    return CompletableFuture.completedFuture(null); // the server's own shutdown waits for the rest
  }

  /** Adds a tracker to each HTTP/1 connection, behind its codec. */
  private final class Customizer implements NettyServerCustomizer {
    private final Channel channel;

    Customizer(Channel channel) {
      this.channel = channel;
    }

    @Override
    public NettyServerCustomizer specializeForChannel(Channel channel, ChannelRole role) {
      return role == ChannelRole.CONNECTION ? new Customizer(channel) : this;
    }

    @Override
    public void onStreamPipelineBuilt() {
      if (channel != null
          && channel.pipeline().get(ChannelPipelineCustomizer.HANDLER_HTTP_SERVER_CODEC) != null
          && channel.pipeline().get(HANDLER) == null) {
        channel
            .pipeline()
            .addAfter(ChannelPipelineCustomizer.HANDLER_HTTP_SERVER_CODEC, HANDLER, new Tracker());
      }
    }
  }

  /** Requests a connection brought and answers it sent, counted on its event loop. */
  private final class Tracker extends ChannelDuplexHandler {
    private ChannelHandlerContext context;
    private long requests;
    private long answered; // answers whose end was written to Netty
    private long delivered; // answers whose end the socket took
    private boolean closeHeld; // a close came while an answer was still leaving

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      context = ctx;
      open.add(this);
      ctx.channel().closeFuture().addListener(f -> open.remove(this));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
      if (message instanceof HttpRequest) {
        requests++;
      }
      super.channelRead(ctx, message);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise)
        throws Exception {
      if (message instanceof LastHttpContent && !informational(message)) { // an answer's end
        answered++;
        promise = promise.unvoid();
        promise.addListener(written -> delivered());
      }
      super.write(ctx, message, promise);
    }

    /** A 100 Continue is not the answer: the request is still in flight. */
    private static boolean informational(Object message) {
      return message instanceof HttpResponse response
          && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }

    /** An answer's end has left (or its write failed, and the connection is going anyway). */
    private void delivered() {
      delivered++;
      if ((closeHeld && delivered >= answered) || (shuttingDown && delivered >= requests)) {
        context.close();
      }
    }

    /** Holds a close during the shutdown until the answers written so far have left. */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
      if (shuttingDown && delivered < answered) {
        closeHeld = true;
        ctx.channel().closeFuture().addListener(closed -> promise.trySuccess());
        return;
      }
      super.close(ctx, promise);
    }

    void closeIfAnswered() {
      context
          .executor()
          .execute(
              () -> {
                if (delivered >= requests) {
                  context.close();
                }
              });
    }
  }
}
