package dev.weir.gateway.net;

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
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty server. The pipeline reads like the data flow: frame (size-limited) → connection
 * (decode, dispatch, ordered responses, back-pressure by queued request bytes).
 *
 * <p>Binding and accepting are two steps: a gateway binds its port first, so that a taken port
 * fails the start at once and Netty's set-up overlaps the store's, and accepts connections only
 * once every handler is in place ({@link #accept}). A client connecting in between waits in the
 * listen backlog, as it would for a busy broker.
 */
public final class KafkaServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final boolean epoll;
    private final int threads;
    private volatile RequestDispatcher dispatcher;

    /** Binds the port without accepting connections yet. */
    public KafkaServer(String host, int port, int threads, int maxFrameBytes,
                       long connectionQueuedBytes, long totalQueuedBytes, com.codahale.metrics.MetricRegistry metrics)
            throws InterruptedException {
        QueuedBytes budget = new QueuedBytes(connectionQueuedBytes, totalQueuedBytes, metrics);
        this.threads = threads;
        epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(threads, io);
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
                        ch.pipeline()
                                .addLast("frame", new LengthFieldBasedFrameDecoder(maxFrameBytes, 0, 4, 0, 4))
                                .addLast("connection", new KafkaConnection(dispatcher, budget));
                    }
                });
        ChannelFuture bound = b.bind(new InetSocketAddress(host, port)).await();
        if (!bound.isSuccess()) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new UncheckedIOException(new BindException(
                    "cannot listen on " + host + ":" + port + ": " + bound.cause().getMessage()));
        }
        serverChannel = bound.channel();
    }

    /** Starts accepting connections, whose requests go to {@code dispatcher}. */
    public void accept(RequestDispatcher dispatcher) {
        this.dispatcher = dispatcher;
        serverChannel.config().setAutoRead(true);
        log.info("Listening on {} ({} transport, {} network threads)", serverChannel.localAddress(),
                epoll ? "epoll" : "nio", threads);
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Stops accepting; in-flight work on open connections is allowed to finish briefly. */
    public void stopAccepting() {
        serverChannel.close().syncUninterruptibly();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
