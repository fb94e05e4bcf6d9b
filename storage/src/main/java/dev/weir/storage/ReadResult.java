package dev.weir.storage;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Entries read and the segment's state at the time of the read. A shared read's bytes are views of
 * the cache's memory, or a pooled off-heap copy of LMDB's, held for the reader until
 * {@link #release()}; an ordinary read owns its bytes and release does nothing.
 */
public record ReadResult(List<StoredEntry> entries, SegmentInfo info, Lease lease) {

    /** Views of shared memory: how to reach a read's bytes and when to let them go. */
    public interface Lease {
        /** Buffers covering the read's first {@code length} bytes, in order; the caller must not write to them. */
        ByteBuffer[] slices(int length);

        /** Lets the memory go; idempotent. The slices must not be used afterwards. */
        void release();
    }

    public ReadResult(List<StoredEntry> entries, SegmentInfo info) {
        this(entries, info, null);
    }

    public int sizeBytes() {
        int n = 0;
        for (StoredEntry e : entries) {
            n += e.size();
        }
        return n;
    }

    /** The bytes of the first {@code count} entries as buffers the caller must not write to. */
    public ByteBuffer[] bytes(int count) {
        int length = 0;
        for (int i = 0; i < count; i++) {
            length += entries.get(i).size();
        }
        if (lease != null) {
            return lease.slices(length);
        }
        if (count == 0) {
            return new ByteBuffer[0];
        }
        ByteBuffer first = entries.get(0).data();
        if (first.hasArray()) { // an ordinary read's entries lie back to back in one array
            return new ByteBuffer[] {ByteBuffer.wrap(first.array(), first.arrayOffset() + first.position(), length).slice()};
        }
        ByteBuffer[] out = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            out[i] = entries.get(i).data().duplicate();
        }
        return out;
    }

    /** Releases a shared read's memory; nothing for an ordinary read. */
    public void release() {
        if (lease != null) {
            lease.release();
        }
    }
}
