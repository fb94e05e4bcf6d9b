package dev.weir.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Off-heap buffers for shared reads that miss the cache: LMDB's bytes are copied once, into one of
 * these, and the reader sends them from there. A heap array would be copied a second time on its
 * way to a socket, and at a fetch's usual 1 MiB it is a humongous object for G1.
 *
 * <p>Buffers come in power-of-two sizes from {@link #MIN_BYTES} to {@link #MAX_BYTES}; a released
 * buffer is kept for the next read while the kept ones total at most {@code retainBytes}, and is
 * otherwise left to the garbage collector. Thread-safe.
 */
final class ReadBuffers {
    /** Below this a heap copy is cheap: the caller's writer gathers small parts anyway. */
    static final int MIN_BYTES = 64 << 10;
    /** Above this a read gets a heap array, as before. */
    static final int MAX_BYTES = 16 << 20;

    private static final int MIN_SHIFT = Integer.numberOfTrailingZeros(MIN_BYTES);
    private static final int CLASSES = Integer.numberOfTrailingZeros(MAX_BYTES) - MIN_SHIFT + 1;

    private final long retainBytes;
    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedQueue<ByteBuffer>[] free = new ConcurrentLinkedQueue[CLASSES];
    private final AtomicLong retained = new AtomicLong();
    private final AtomicInteger outstanding = new AtomicInteger();

    ReadBuffers(long retainBytes) {
        this.retainBytes = retainBytes;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
        }
    }

    /** Whether a read of {@code bytes} goes into one of these buffers. */
    static boolean fits(long bytes) {
        return bytes >= MIN_BYTES && bytes <= MAX_BYTES;
    }

    /**
     * A buffer of at least {@code bytes} (which must {@link #fits fit}), position 0, limit
     * {@code bytes}; null when the JVM's direct memory is exhausted (the caller copies to the heap).
     */
    Loan borrow(int bytes) {
        int c = sizeClass(bytes);
        ByteBuffer b = free[c].poll();
        if (b != null) {
            retained.addAndGet(-b.capacity());
        } else {
            try {
                b = ByteBuffer.allocateDirect(MIN_BYTES << c);
            } catch (OutOfMemoryError e) {
                return null; // over -XX:MaxDirectMemorySize: the heap will do
            }
        }
        b.clear().limit(bytes);
        outstanding.incrementAndGet();
        return new Loan(b, c);
    }

    /** Loans not yet released. */
    int outstanding() {
        return outstanding.get();
    }

    /** Bytes kept for reuse. */
    long retainedBytes() {
        return retained.get();
    }

    static int sizeClass(int bytes) {
        int shift = 32 - Integer.numberOfLeadingZeros(Math.max(bytes, MIN_BYTES) - 1);
        return shift - MIN_SHIFT;
    }

    /** One read's buffer, given back on release. */
    final class Loan implements ReadResult.Lease {
        private final ByteBuffer buffer;
        private final int sizeClass;
        private final AtomicBoolean released = new AtomicBoolean();

        private Loan(ByteBuffer buffer, int sizeClass) {
            this.buffer = buffer;
            this.sizeClass = sizeClass;
        }

        /** The buffer to fill; its limit is the size borrowed. */
        ByteBuffer buffer() {
            return buffer;
        }

        @Override
        public ByteBuffer[] slices(int length) {
            return new ByteBuffer[] {buffer.slice(0, length)};
        }

        @Override
        public void release() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            outstanding.decrementAndGet();
            long kept = retained.addAndGet(buffer.capacity());
            if (kept <= retainBytes) {
                free[sizeClass].offer(buffer);
            } else {
                retained.addAndGet(-buffer.capacity()); // over the bound: the collector frees it
            }
        }
    }
}
