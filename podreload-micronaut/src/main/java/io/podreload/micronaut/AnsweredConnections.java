package io.podreload.micronaut;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.netty.channel.ChannelPipelineCustomizer;
import io.micronaut.http.server.netty.NettyServerCustomizer;
import io.micronaut.http.server.netty.NettyServerCustomizer.ChannelRole;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
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
 */
@Requires(property = PodreloadSettings.PREFIX + ".enabled", notEquals = "false")
@Requires(beans = NettyServerCustomizer.Registry.class)
@Context
public final class AnsweredConnections implements GracefulShutdownCapable {

  private static final String HANDLER = "podreload-answered";

  private final Set<Tracker> open = ConcurrentHashMap.newKeySet();
  private volatile boolean shuttingDown;

  public AnsweredConnections(NettyServerCustomizer.Registry registry) {
    registry.register(new Customizer(null));
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
    private long answered;

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
        if (shuttingDown && answered >= requests) {
          promise = promise.unvoid();
          promise.addListener(ChannelFutureListener.CLOSE);
        }
      }
      super.write(ctx, message, promise);
    }

    /** A 100 Continue is not the answer: the request is still in flight. */
    private static boolean informational(Object message) {
      return message instanceof HttpResponse response
          && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }

    void closeIfAnswered() {
      context
          .executor()
          .execute(
              () -> {
                if (answered >= requests) {
                  context.close();
                }
              });
    }
  }
}
