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
 * Collects what a kafka-clients {@link Send} writes into one Netty buffer of direct memory, which
 * the socket takes without a further copy. Direct buffers (stored records served from the tail
 * cache) are wrapped, not copied; heap buffers (headers, fields, records read from LMDB) are copied
 * once into pooled direct buffers, consecutive small ones into the same buffer, as Netty would
 * otherwise copy the whole response.
 */
final class ByteBufChannel implements TransferableChannel {
    /** Heap buffers this large get a direct buffer of their own rather than growing the pending one. */
    private static final int LARGE = 8192;
    private final ByteBufAllocator alloc;
    private final CompositeByteBuf out;
    /** Heap bytes written since the last direct buffer, not yet added to {@link #out}. */
    private ByteBuf pending;

    private ByteBufChannel(ByteBufAllocator alloc) {
        this.alloc = alloc;
        this.out = alloc.compositeDirectBuffer(Integer.MAX_VALUE);
    }

    static ByteBuf drain(Send send, ByteBufAllocator alloc) throws IOException {
        ByteBufChannel ch = new ByteBufChannel(alloc);
        try {
            while (!send.completed()) {
                send.writeTo(ch);
            }
            ch.addPending();
        } catch (IOException | RuntimeException e) {
            ch.out.release();
            if (ch.pending != null) {
                ch.pending.release();
            }
            throw e;
        }
        return ch.out;
    }

    private void addPending() {
        if (pending != null) {
            out.addComponent(true, pending);
            pending = null;
        }
    }

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        if (n == 0) {
            return 0;
        }
        if (src.isDirect()) {
            addPending();
            out.addComponent(true, Unpooled.wrappedBuffer(src.slice()));
        } else if (n >= LARGE) {
            addPending(); // records read from LMDB: one copy into a buffer of their size
            ByteBuf copy = alloc.directBuffer(n, n);
            copy.writeBytes(src.duplicate());
            out.addComponent(true, copy);
        } else {
            if (pending == null) {
                pending = alloc.directBuffer(Math.max(n, 1024));
            }
            pending.writeBytes(src.duplicate());
        }
        src.position(src.limit());
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
