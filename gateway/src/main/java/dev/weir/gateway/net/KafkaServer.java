package dev.weir.gateway.net;

import dev.weir.gateway.config.Listeners;
import dev.weir.gateway.security.ListenerSecurity;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty server: one bound socket per listener. The pipeline reads like the data flow: TLS on
 * SSL and SASL_SSL listeners → frame (size-limited) → connection (authenticate, decode, dispatch,
 * ordered responses, back-pressure by queued request bytes).
 *
 * <p>Binding and accepting are two steps: a gateway binds its ports first, so that a taken port
 * fails the start at once and Netty's set-up overlaps the store's, and accepts connections only
 * once every handler is in place ({@link #accept}). A client connecting in between waits in the
 * listen backlog, as it would for a busy broker.
 */
public final class KafkaServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Map<String, Channel> serverChannels = new LinkedHashMap<>();
    /**
     * Every open connection. Closed explicitly before the event loops stop: a loop shut down with
     * no quiet period can end without closing a channel registered on it, leaving its socket open
     * and its client waiting for answers that never come (seen as request timeouts after crash()).
     */
    private final ChannelGroup connections = new DefaultChannelGroup("weir-connections", GlobalEventExecutor.INSTANCE);
    private final boolean epoll;
    private final int threads;
    private volatile RequestDispatcher dispatcher;
    private volatile Map<String, ListenerSecurity> security;

    /** Binds every listener's port without accepting connections yet. */
    public KafkaServer(List<Listeners.Listener> listeners, int threads, int maxFrameBytes,
                       long connectionQueuedBytes, long totalQueuedBytes, com.codahale.metrics.MetricRegistry metrics)
            throws InterruptedException {
        QueuedBytes budget = new QueuedBytes(connectionQueuedBytes, totalQueuedBytes, metrics);
        this.threads = threads;
        epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(threads, io);
        try {
            for (Listeners.Listener listener : listeners) {
                String name = listener.name();
                ServerBootstrap b = new ServerBootstrap()
                        .group(boss, workers)
                        .channel(channelType)
                        .option(ChannelOption.SO_BACKLOG, 1024)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .option(ChannelOption.AUTO_READ, false)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childOption(ChannelOption.SO_KEEPALIVE, true)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                connections.add(ch);
                                ListenerSecurity listenerSecurity = security.get(name);
                                if (listener.usesSsl()) {
                                    ch.pipeline().addLast("tls", new SslHandler(listenerSecurity.newSslEngine(ch.remoteAddress())));
                                }
                                FrameDecoder frames = new FrameDecoder(maxFrameBytes);
                                ch.pipeline()
                                        .addLast("frame", frames)
                                        .addLast("connection", new KafkaConnection(dispatcher, budget, listenerSecurity, frames));
                            }
                        });
                String host = listener.host().isEmpty() ? "0.0.0.0" : listener.host();
                ChannelFuture bound = b.bind(new InetSocketAddress(host, listener.port())).await();
                if (!bound.isSuccess()) {
                    throw new UncheckedIOException(new BindException("cannot listen on " + host + ":" + listener.port()
                            + " (listener " + name + "): " + bound.cause().getMessage()));
                }
                serverChannels.put(name, bound.channel());
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    /**
     * Starts accepting connections on every listener; their requests go to {@code dispatcher},
     * and each listener's connections authenticate as {@code security} says.
     */
    public void accept(RequestDispatcher dispatcher, Map<String, ListenerSecurity> security) {
        this.dispatcher = dispatcher;
        this.security = Map.copyOf(security);
        serverChannels.forEach((name, channel) -> {
            channel.config().setAutoRead(true);
            log.info("Listening on {} for {} ({}, {} transport, {} network threads)", channel.localAddress(), name,
                    security.get(name).listener().protocol(), epoll ? "epoll" : "nio", threads);
        });
    }

    /** The port the first listener is bound to. */
    public int port() {
        return ((InetSocketAddress) serverChannels.values().iterator().next().localAddress()).getPort();
    }

    /** The port a listener is bound to. */
    public int port(String listener) {
        return ((InetSocketAddress) serverChannels.get(listener).localAddress()).getPort();
    }

    /** Stops accepting; in-flight work on open connections is allowed to finish briefly. */
    public void stopAccepting() {
        serverChannels.values().forEach(c -> c.close().syncUninterruptibly());
    }

    /**
     * Cuts every connection at once, as a killed process's would be: nothing more is read or
     * written, answers not yet sent are lost.
     */
    public void halt() {
        serverChannels.values().forEach(c -> c.close().syncUninterruptibly());
        connections.close().awaitUninterruptibly();
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public void close() {
        serverChannels.values().forEach(c -> c.close().syncUninterruptibly());
        connections.close().awaitUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
