package dev.weir.storage;

import java.nio.ByteBuffer;

/**
 * An entry as read back: its offsets, its max timestamp, its size and its stored bytes. The entries
 * of an ordinary read are consecutive slices of one heap array, in order; callers must not write to
 * them. Entries a shared read ({@link SegmentStore#readShared}) serves from the cache have null
 * {@code data}: their bytes are reached through {@link ReadResult#bytes}. Those it reads from LMDB
 * are slices of one buffer, off-heap when the read is large, valid until the read is released.
 */
public record StoredEntry(long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data, int size) {

    public StoredEntry(long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer data) {
        this(baseOffset, lastOffset, maxTimestamp, data, data.remaining());
    }
}
