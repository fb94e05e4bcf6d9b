package dev.weir.storage;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Pravega's append-friendly cache (its "streaming cache", {@code DirectMemoryCache}): off-heap
 * buffers of {@value #BUFFER_BYTES} bytes cut into blocks of {@value #BLOCK_BYTES}. An entry is a
 * chain of blocks addressed by its <em>last</em> block, each block knowing its predecessor, so
 * appending to an entry writes into the free end of its last block in place and chains new blocks
 * only as they fill: a segment's tail grows without an entry per batch and without copying what is
 * already cached. Every block of a chain but the last is full, so a byte position maps to a block
 * by division.
 *
 * <p>Buffers are allocated as they are first needed, so an idle cache costs no memory. Thread-safe;
 * callers keep their own index of what the entries hold.
 */
public final class AppendCache {
    public static final int BLOCK_BYTES = 4096;
    public static final int BUFFER_BYTES = 2 << 20;
    public static final int NO_ADDRESS = -1;
    private static final int BLOCKS_PER_BUFFER = BUFFER_BYTES / BLOCK_BYTES;

    private final ByteBuffer[] buffers;
    /** Bytes used in each block. */
    private final int[] used;
    /** Each block's predecessor in its entry, or NO_ADDRESS for an entry's first block. */
    private final int[] previous;
    /** Blocks in its entry up to and including this one (so a chain's length is known at its end). */
    private final int[] chainLength;
    private final int[] freeBlocks;
    private int freeCount;
    /** Blocks below this index have been handed out at least once (their buffer exists). */
    private int fresh;
    private long usedBlocks;

    /** A cache of at most {@code maxBytes}, rounded down to whole buffers (at least one). */
    public AppendCache(long maxBytes) {
        int count = (int) Math.max(1, Math.min(Integer.MAX_VALUE / BLOCKS_PER_BUFFER, maxBytes / BUFFER_BYTES));
        buffers = new ByteBuffer[count];
        int blocks = count * BLOCKS_PER_BUFFER;
        used = new int[blocks];
        previous = new int[blocks];
        chainLength = new int[blocks];
        freeBlocks = new int[blocks];
    }

    public long capacityBytes() {
        return (long) buffers.length * BUFFER_BYTES;
    }

    public synchronized long usedBytes() {
        return usedBlocks * BLOCK_BYTES;
    }

    /** Bytes held by the entry ending at {@code address}. */
    public synchronized long length(int address) {
        return (long) (chainLength[address] - 1) * BLOCK_BYTES + used[address];
    }

    /**
     * Appends {@code data} (its remaining bytes; its position is left alone) to the entry ending at
     * {@code address}, or to a new entry if that is {@link #NO_ADDRESS}.
     *
     * @return the entry's address from now on (its new last block), or NO_ADDRESS if the cache has too
     *         few free blocks; then nothing was written
     */
    public synchronized int append(int address, ByteBuffer data) {
        int length = data.remaining();
        int room = address == NO_ADDRESS ? 0 : BLOCK_BYTES - used[address];
        int needed = length <= room ? 0 : (length - room + BLOCK_BYTES - 1) / BLOCK_BYTES;
        if (needed > freeCount + (used.length - fresh)) {
            return NO_ADDRESS;
        }
        int from = data.position();
        int last = address;
        if (room > 0) {
            int n = Math.min(room, length);
            buffer(last).put(start(last) + used[last], data, from, n);
            used[last] += n;
            from += n;
        }
        int end = data.position() + length;
        while (from < end) {
            int b = allocate();
            int n = Math.min(BLOCK_BYTES, end - from);
            buffer(b).put(start(b), data, from, n);
            used[b] = n;
            previous[b] = last;
            chainLength[b] = last == NO_ADDRESS ? 1 : chainLength[last] + 1;
            last = b;
            from += n;
        }
        return last;
    }

    /** Copies {@code length} bytes of the entry ending at {@code address}, from byte {@code from}, into {@code dst}. */
    public synchronized void read(int address, long from, int length, byte[] dst, int dstOffset) {
        int[] chain = chain(address);
        int i = (int) (from / BLOCK_BYTES);
        int at = (int) (from % BLOCK_BYTES);
        while (length > 0) {
            int b = chain[i];
            int n = Math.min(length, used[b] - at);
            buffer(b).get(start(b) + at, dst, dstOffset, n);
            dstOffset += n;
            length -= n;
            at = 0;
            i++;
        }
    }

    /**
     * Adds to {@code out} views of {@code length} bytes of the entry ending at {@code address}, from
     * byte {@code from}: one view per run of physically adjacent blocks. The views see the cache's
     * memory itself, so the caller must keep the entry from being deleted while it uses them.
     */
    public synchronized void views(int address, long from, int length, List<ByteBuffer> out) {
        int[] chain = chain(address);
        int i = (int) (from / BLOCK_BYTES);
        int at = (int) (from % BLOCK_BYTES);
        int runBuffer = -1;
        int runStart = 0;
        int runLength = 0;
        while (length > 0) {
            int b = chain[i];
            int n = Math.min(length, used[b] - at);
            int position = start(b) + at;
            int bufferIndex = b / BLOCKS_PER_BUFFER;
            if (bufferIndex == runBuffer && runStart + runLength == position) {
                runLength += n;
            } else {
                if (runLength > 0) {
                    out.add(buffers[runBuffer].slice(runStart, runLength));
                }
                runBuffer = bufferIndex;
                runStart = position;
                runLength = n;
            }
            length -= n;
            at = 0;
            i++;
        }
        if (runLength > 0) {
            out.add(buffers[runBuffer].slice(runStart, runLength));
        }
    }

    /** Frees the blocks of the entry ending at {@code address}. */
    public synchronized void delete(int address) {
        for (int b = address; b != NO_ADDRESS; ) {
            int p = previous[b];
            used[b] = 0;
            freeBlocks[freeCount++] = b;
            usedBlocks--;
            b = p;
        }
    }

    /** The blocks of the entry ending at {@code address}, first to last. */
    private int[] chain(int address) {
        int blocks = chainLength[address];
        int[] chain = new int[blocks];
        for (int i = blocks - 1, b = address; i >= 0; i--, b = previous[b]) {
            chain[i] = b;
        }
        return chain;
    }

    private int allocate() {
        int b;
        if (freeCount > 0) {
            b = freeBlocks[--freeCount];
        } else {
            b = fresh++;
            if (buffers[b / BLOCKS_PER_BUFFER] == null) {
                buffers[b / BLOCKS_PER_BUFFER] = ByteBuffer.allocateDirect(BUFFER_BYTES);
            }
        }
        usedBlocks++;
        return b;
    }

    private ByteBuffer buffer(int b) {
        return buffers[b / BLOCKS_PER_BUFFER];
    }

    private static int start(int b) {
        return (b % BLOCKS_PER_BUFFER) * BLOCK_BYTES;
    }
}
