package dev.weir.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;

/**
 * Collects what a kafka-clients {@link Send} writes into one Netty buffer, wrapping each written
 * ByteBuffer instead of copying it, so stored record bytes reach the socket without a copy.
 */
final class ByteBufChannel implements TransferableChannel {
    private final CompositeByteBuf out;

    private ByteBufChannel(ByteBufAllocator alloc) {
        this.out = alloc.compositeBuffer(Integer.MAX_VALUE);
    }

    static ByteBuf drain(Send send, ByteBufAllocator alloc) throws IOException {
        ByteBufChannel ch = new ByteBufChannel(alloc);
        while (!send.completed()) {
            send.writeTo(ch);
        }
        return ch.out;
    }

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        if (n > 0) {
            out.addComponent(true, Unpooled.wrappedBuffer(src.slice()));
            src.position(src.limit());
        }
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += write(srcs[i]);
        }
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public boolean hasPendingWrites() {
        return false;
    }

    @Override
    public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) count);
        while (buf.hasRemaining()) {
            if (fileChannel.read(buf, position + buf.position()) < 0) {
                break;
            }
        }
        buf.flip();
        return write(buf);
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
