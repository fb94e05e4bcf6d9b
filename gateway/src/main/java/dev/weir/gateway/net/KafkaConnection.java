package dev.weir.gateway.net;

import dev.weir.gateway.api.StoredRecords;
import dev.weir.gateway.security.ConnectionAuth;
import dev.weir.gateway.security.ListenerSecurity;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Requests may complete out of order; responses leave in request order,
 * as Kafka clients require. Who the client is comes from its listener's security
 * ({@link ConnectionAuth}): the TLS handshake, then SASL, before any other request is served.
 * Runs on the channel's event loop.
 */
final class KafkaConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KafkaConnection.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final RequestDispatcher dispatcher;
    private final QueuedBytes budget;
    private final ListenerSecurity security;
    private final FrameDecoder frames;
    private ConnectionAuth auth;
    /** Closed after an exception: later ones are not logged again. */
    private boolean closing;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    private String connectionId;
    private InetSocketAddress remote;
    private ChannelHandlerContext ctx;
    /** Bytes of this connection's requests not yet answered; event loop only. */
    private long queued;
    /** Reads stopped by the back-pressure budget. */
    private boolean paused;
    /** Reads stopped until then (System.nanoTime) because a quota throttled the client; 0 if not. */
    private long throttledUntil;

    /** A request being served, with its size for the back-pressure budget. */
    private record Pending(RequestDispatcher.InFlight call, int bytes) {
    }

    KafkaConnection(RequestDispatcher dispatcher, QueuedBytes budget, ListenerSecurity security, FrameDecoder frames) {
        this.dispatcher = dispatcher;
        this.budget = budget;
        this.security = security;
        this.frames = frames;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
        connectionId = local.getAddress().getHostAddress() + ":" + local.getPort() + "-"
                + remote.getAddress().getHostAddress() + ":" + remote.getPort() + "-" + IDS.incrementAndGet();
        auth = new ConnectionAuth(security, remote, local);
        if (security.listener().usesSasl()) {
            frames.lower(security.maxReceiveBytes(), "sasl.server.max.receive.size before authentication");
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                auth.tlsEstablished(ctx.pipeline().get(SslHandler.class).engine().getSession());
            } else {
                log.info("Failed authentication with {} on listener {} (SSL handshake failed: {})",
                        remote.getAddress().getHostAddress(), security.listener().name(), sslCause(done.cause()));
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    private static String sslCause(Throwable cause) {
        Throwable c = cause;
        while (c.getCause() != null && !(c instanceof SSLException)) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        int bytes = frame.readableBytes();
        ByteBuffer request;
        try {
            // Copied to the heap: parsed requests (and produced records) outlive the pooled frame.
            request = ByteBuffer.allocate(frame.readableBytes());
            frame.readBytes(request);
            request.flip();
        } finally {
            frame.release();
        }
        if (auth.expectsBareToken()) {
            bareToken(ctx, request);
            return;
        }
        RequestDispatcher.InFlight call = dispatcher.dispatch(request, connectionId, remote, auth);
        if (call == null) {
            ctx.close();
            return;
        }
        if (auth.principal() != null) {
            frames.lift();
        }
        inFlight.add(new Pending(call, bytes));
        queued += bytes;
        if (budget.queued(this, queued, bytes) && !paused) {
            paused = true;
            updateAutoRead();
            budget.pausedOne();
        }
        if (call.response().isDone()) {
            writeReady(ctx);
        } else {
            call.response().whenComplete((r, e) -> ctx.executor().execute(() -> writeReady(ctx)));
        }
    }

    /** A SASL token after SaslHandshake v0: answered bare, size-prefixed; nothing else is in flight. */
    private void bareToken(ChannelHandlerContext ctx, ByteBuffer request) {
        byte[] token = new byte[request.remaining()];
        request.get(token);
        byte[] answer;
        try {
            answer = auth.evaluateBareToken(token, System.nanoTime());
        } catch (javax.security.sasl.SaslException e) {
            ctx.close();
            return;
        }
        if (auth.principal() != null) {
            frames.lift();
        }
        if (answer != null) {
            ctx.writeAndFlush(ctx.alloc().buffer(4 + answer.length).writeInt(answer.length).writeBytes(answer));
        }
    }

    private void writeReady(ChannelHandlerContext ctx) {
        boolean wrote = false;
        // While throttled, later answers wait too: Kafka would not even have read their requests yet.
        while (!inFlight.isEmpty() && inFlight.peek().call().response().isDone()
                && (throttledUntil == 0 || !ctx.channel().isActive())) {
            Pending pending = inFlight.poll();
            queued -= pending.bytes();
            budget.answered(pending.bytes());
            RequestDispatcher.InFlight call = pending.call();
            AbstractResponse response = call.response().join();
            if (call.dropAnswer()) {
                // An injected fault: applied, never answered, as if the connection broke just then.
                StoredRecords.release(response);
                log.info("Closing connection {}: {} answer dropped by a request hook", connectionId,
                        call.context().header.apiKey());
                if (wrote) {
                    ctx.flush();
                }
                ctx.close();
                return;
            }
            if (!call.answered()) {
                // acks=0: no answer goes back. As Kafka, an error closes the connection so the client
                // refreshes its metadata, and a quota's throttle time stops reading all the same.
                if (response.errorCounts().keySet().stream().anyMatch(e -> e != Errors.NONE)) {
                    log.info("Closing connection {}: acks=0 produce from {} failed: {}", connectionId,
                            call.context().clientId(), response.errorCounts());
                    if (wrote) {
                        ctx.flush();
                    }
                    ctx.close();
                    return;
                }
                if (response.throttleTimeMs() > 0) {
                    throttle(response.throttleTimeMs());
                }
                continue;
            }
            if (!ctx.channel().isActive()) {
                StoredRecords.release(response);
                continue;
            }
            try {
                ByteBuf out = ByteBufChannel.drain(call.context().buildResponseSend(response), ctx.alloc());
                dispatcher.bytesOut.mark(out.readableBytes());
                // Stored bytes go out as views of the store's memory: held until written or failed.
                if (response.throttleTimeMs() > 0) {
                    throttle(response.throttleTimeMs());
                }
                if (StoredRecords.holdsReads(response)) {
                    ctx.write(out).addListener(f -> StoredRecords.release(response));
                } else {
                    ctx.write(out, ctx.voidPromise());
                }
                wrote = true;
                if (call.closeAfter()) {
                    // A failed authentication: the answer goes out, then the connection closes, as Kafka.
                    ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
            } catch (IOException | RuntimeException e) {
                StoredRecords.release(response);
                log.error("Closing connection {}: cannot encode {} response", connectionId,
                        call.context().header.apiKey(), e);
                ctx.close();
                return;
            }
        }
        if (wrote) {
            ctx.flush();
        }
        resume();
    }

    /** Called from any thread when the total budget falls: rechecks on the event loop. */
    void resumeIfBelow() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.executor().execute(this::resume);
        }
    }

    private void resume() {
        if (!paused) {
            return;
        }
        if (budget.mayResume(queued)) {
            paused = false;
            budget.resumedOne();
            updateAutoRead();
        } else if (budget.connectionBelow(queued)) {
            budget.waitForTotal(this); // only the total holds it: be woken when that falls
        }
    }

    /**
     * As Kafka's broker does for a client over its quota: the answer goes out at once, carrying the
     * throttle time, and the connection's next requests are not read until that time has passed.
     * Requests already read (a pipelining client's) are handled, but their answers wait as well, so
     * the client sees what Kafka's muted connection shows it.
     */
    private void throttle(int ms) {
        long until = System.nanoTime() + ms * 1_000_000L;
        if (until - throttledUntil <= 0 && throttledUntil != 0) {
            return;
        }
        throttledUntil = until;
        updateAutoRead();
        ctx.executor().schedule(() -> {
            if (throttledUntil == until) {
                throttledUntil = 0;
                updateAutoRead();
                writeReady(ctx);
            }
        }, ms, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void updateAutoRead() {
        ctx.channel().config().setAutoRead(!paused && throttledUntil == 0);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (auth != null) {
            auth.closed();
        }
        if (connectionId != null) {
            dispatcher.connectionClosed(connectionId);
        }
        budget.forget(this);
        if (paused) {
            paused = false;
            budget.resumedOne();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            // The bytes left behind a refused frame fail again as the channel closes: one line is enough.
            log.debug("Connection {} from {} after closing: {}", connectionId, remote, cause.toString());
            return;
        }
        closing = true;
        if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            // Logged once as the handshake's failure (userEventTriggered), or a TLS record went bad.
            log.debug("Connection {} from {}: {}", connectionId, remote, cause.getCause().toString());
        } else if (cause instanceof TooLongFrameException) {
            log.info("Closing connection {} from {}: {}", connectionId, remote, cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("Connection {} from {} failed: {}", connectionId, remote, cause.toString());
        } else {
            log.info("Closing connection {} from {}: {}", connectionId, remote, cause.toString());
        }
        ctx.close();
    }
}
