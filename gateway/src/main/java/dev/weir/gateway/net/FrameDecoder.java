package dev.weir.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteOrder;

/**
 * Kafka's size-prefixed frames, with a limit that can fall and rise on a live connection: before
 * a SASL connection has authenticated, Kafka reads at most {@code sasl.server.max.receive.size};
 * after, {@code socket.request.max.bytes}.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    private final int maxFrameBytes;
    private int limit;
    private String limitName;

    FrameDecoder(int maxFrameBytes) {
        super(maxFrameBytes, 0, 4, 0, 4);
        this.maxFrameBytes = maxFrameBytes;
        this.limit = maxFrameBytes;
        this.limitName = "socket.request.max.bytes";
    }

    /** Until {@link #lift()}, frames above {@code bytes} close the connection. */
    void lower(int bytes, String name) {
        limit = Math.min(bytes, maxFrameBytes);
        limitName = name;
    }

    void lift() {
        limit = maxFrameBytes;
        limitName = "socket.request.max.bytes";
    }

    @Override
    protected long getUnadjustedFrameLength(ByteBuf buf, int offset, int length, ByteOrder order) {
        long size = super.getUnadjustedFrameLength(buf, offset, length, order);
        if (size > limit) {
            throw new TooLongFrameException("frame of " + size + " bytes is larger than " + limitName + " (" + limit + ")");
        }
        return size;
    }
}
